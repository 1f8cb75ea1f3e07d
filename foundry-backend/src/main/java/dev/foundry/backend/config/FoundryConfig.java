package dev.foundry.backend.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.List;
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
    Config resolved =
        unresolved
            .withFallback(asConfig(environment))
            .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
    return withCluster(withJournalDatabase(resolved));
  }

  /** The setting that moves the journal to PostgreSQL (empty: the SQLite file). */
  public static final String JOURNAL_URL = "foundry.persistence.journal-url";

  /** Whether {@code config} puts the journal on PostgreSQL. */
  public static boolean journalOnPostgres(Config config) {
    return config.hasPath(JOURNAL_URL)
        && config.getString(JOURNAL_URL).strip().startsWith("jdbc:postgresql:");
  }

  /**
   * HOCON cannot choose a block by a setting's value, so the choice of the journal's database is
   * made here, once, for every reader of the configuration (the application, tests, benchmarks):
   * with a PostgreSQL {@code journal-url}, {@code foundry.persistence.postgres} replaces the
   * plugin's shared database (journal, snapshots and read journal all use it), with the user and
   * password added when set. Otherwise the configuration is returned as it was.
   */
  private static Config withJournalDatabase(Config config) {
    if (!journalOnPostgres(config)) {
      return config;
    }
    Config database = config.getConfig("foundry.persistence.postgres");
    for (String credential : new String[] {"user", "password"}) {
      String value = config.getString("foundry.persistence.journal-" + credential);
      if (!value.isEmpty()) {
        database = database.withValue("db." + credential, ConfigValueFactory.fromAnyRef(value));
      }
    }
    return config.withValue("pekko-persistence-jdbc.shared-databases.foundry", database.root());
  }

  /** The setting that turns cluster mode on (empty: one node). */
  public static final String CLUSTER_SEED_NODES = "foundry.cluster.seed-nodes";

  /** Whether {@code config} runs this node as a member of a cluster. */
  public static boolean clusterMode(Config config) {
    return config.hasPath(CLUSTER_SEED_NODES) && !config.getString(CLUSTER_SEED_NODES).isBlank();
  }

  /**
   * In cluster mode, lays {@code foundry-cluster-mode} over {@code pekko} (cluster provider,
   * remoting, split-brain resolver, sharding) and adds the seed nodes as Pekko addresses. The
   * addresses are checked by {@link FoundrySettings}; a malformed one is left for it to report.
   */
  private static Config withCluster(Config config) {
    if (!clusterMode(config)) {
      return config;
    }
    List<String> seeds = new ArrayList<>();
    for (String node : config.getString(CLUSTER_SEED_NODES).split(",")) {
      if (!node.isBlank()) {
        seeds.add("pekko://" + SYSTEM_NAME + "@" + node.strip());
      }
    }
    Config cluster =
        config
            .getConfig("foundry-cluster-mode")
            .withValue("cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds));
    return config.withValue("pekko", cluster.withFallback(config.getConfig("pekko")).root());
  }

  /** The actor system's name: part of every node's address, so the same on every node. */
  public static final String SYSTEM_NAME = "foundry";

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
