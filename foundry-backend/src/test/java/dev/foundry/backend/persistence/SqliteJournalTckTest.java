package dev.foundry.backend.persistence;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pekko's journal TCK against {@code persistence.conf}: pekko-persistence-jdbc on a fresh SQLite
 * journal migrated by db-migrations.
 */
class SqliteJournalTckTest {
  @TempDir Path dataDir;

  /** The TCK suite with every capability our journal has switched on. */
  static final class SqliteJournalSpec extends JavaJournalSpec {
    SqliteJournalSpec(Config config) {
      super(config);
    }

    @Override
    public CapabilityFlag supportsRejectingNonSerializableObjects() {
      return CapabilityFlag.on();
    }

    @Override
    public CapabilityFlag supportsSerialization() {
      return CapabilityFlag.on();
    }

    @Override
    public CapabilityFlag supportsMetadata() {
      return CapabilityFlag.on();
    }
  }

  @TestFactory
  List<DynamicTest> journalTck() {
    Config config = TestJournalConfig.prepared(dataDir);
    return ScalaTestSuites.asDynamicTests(ScalaTestSuites.run(new SqliteJournalSpec(config)));
  }
}
