package dev.foundry.backend.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.FoundryApp;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real backend ({@link FoundryApp}) on a free loopback port with its data in a temporary
 * directory, configured through environment variables the way an operator configures it.
 */
public final class ApiServer implements AutoCloseable {
  private final FoundryApp app;
  private final Path dataDir;

  private ApiServer(FoundryApp app, Path dataDir) {
    this.app = app;
    this.dataDir = dataDir;
  }

  public static ApiServer start(Path dir, Map<String, String> environment) {
    Map<String, String> env = new HashMap<>(environment);
    env.put("PORT", "0");
    env.put("FOUNDRY_DATA_DIR", dir.resolve("data").toString());
    Config config =
        FoundryConfig.load(env, ConfigFactory.parseMap(Map.of("pekko.loglevel", "WARNING")));
    return new ApiServer(FoundryApp.start(config, FoundrySettings.from(config)), dir);
  }

  public static ApiServer start(Path dir) {
    return start(dir, Map.of());
  }

  public FoundryApp app() {
    return app;
  }

  public String base() {
    return "http://127.0.0.1:" + app.port();
  }

  public Browser browser() {
    return new Browser(base());
  }

  /** A bare git repository on disk, for {@code POST .../repos} with a {@code file://} URL. */
  public String bareRepository(String name) throws Exception {
    Path repo = dataDir.resolve("remotes").resolve(name + ".git");
    Files.createDirectories(repo);
    Process git =
        new ProcessBuilder("git", "init", "--bare", "-q", repo.toString())
            .redirectErrorStream(true)
            .start();
    if (!git.waitFor(30, TimeUnit.SECONDS) || git.exitValue() != 0) {
      throw new IllegalStateException(
          "git init failed: " + new String(git.getInputStream().readAllBytes()));
    }
    return repo.toUri().toString();
  }

  @Override
  public void close() {
    app.stop(Duration.ofSeconds(20));
  }
}
