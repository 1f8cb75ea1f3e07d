package dev.foundry.backend.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import java.util.Map;

/**
 * Builds the one {@link Config} the backend runs on: explicit overrides, then {@code
 * application.conf} (and its includes), then every library's {@code reference.conf}; {@code
 * ${?ENV}} substitutions resolve against the given environment.
 *
 * <p>The environment is a parameter (not read behind the caller's back) so tests can prove
 * overrides without touching the JVM's real environment.
 */
public final class FoundryConfig {
  private FoundryConfig() {}

  /** The configuration of this process: its real environment, no overrides. */
  public static Config load() {
    return load(System.getenv(), ConfigFactory.empty());
  }

  public static Config load(Map<String, String> environment, Config overrides) {
    ClassLoader loader = FoundryConfig.class.getClassLoader();
    Config application =
        ConfigFactory.parseResources(
            loader, "application.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    Config unresolved =
        overrides
            .withFallback(application)
            .withFallback(ConfigFactory.defaultReferenceUnresolved(loader));
    // Environment variables become root-level keys used only as a fallback, so `${?PORT}` finds
    // them while every real setting still wins.
    return unresolved
        .withFallback(asConfig(environment))
        .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
  }

  private static Config asConfig(Map<String, String> environment) {
    Config config = ConfigFactory.empty("environment");
    for (Map.Entry<String, String> e : environment.entrySet()) {
      // Quote each name: an environment variable is one key, never a path.
      config =
          config.withValue(
              ConfigUtil.joinPath(e.getKey()), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    return config;
  }
}
