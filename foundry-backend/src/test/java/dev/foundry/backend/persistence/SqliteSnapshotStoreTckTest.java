package dev.foundry.backend.persistence;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Pekko's snapshot-store TCK against {@code persistence.conf} on a fresh SQLite journal file. */
class SqliteSnapshotStoreTckTest {
  @TempDir Path dataDir;

  /** The TCK suite with every capability our snapshot store has switched on. */
  static final class SqliteSnapshotStoreSpec extends JavaSnapshotStoreSpec {
    SqliteSnapshotStoreSpec(Config config) {
      super(config);
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
  List<DynamicTest> snapshotStoreTck() {
    Config config = TestJournalConfig.prepared(dataDir);
    return ScalaTestSuites.asDynamicTests(ScalaTestSuites.run(new SqliteSnapshotStoreSpec(config)));
  }
}
