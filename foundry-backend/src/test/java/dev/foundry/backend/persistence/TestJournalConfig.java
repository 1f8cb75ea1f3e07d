package dev.foundry.backend.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import dev.foundry.backend.config.FoundryConfig;
import java.nio.file.Path;
import java.util.Map;

/** The real configuration (application.conf with persistence.conf) on a given data directory. */
final class TestJournalConfig {
  private TestJournalConfig() {}

  /** The backend's configuration with {@code foundry.data-dir} set; the journal is prepared. */
  static Config prepared(Path dataDir) {
    return prepared(dataDir, ConfigFactory.empty());
  }

  /** Same, with extra overrides (which win over everything). */
  static Config prepared(Path dataDir, Config overrides) {
    Config config =
        FoundryConfig.load(
            Map.of(),
            overrides.withFallback(
                ConfigFactory.parseString(
                    "foundry.data-dir = " + ConfigUtil.quoteString(dataDir.toString()))));
    JournalDatabase.prepare(config);
    return config;
  }
}
