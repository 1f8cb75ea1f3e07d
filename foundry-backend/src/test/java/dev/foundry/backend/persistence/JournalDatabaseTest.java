package dev.foundry.backend.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import dev.foundry.backend.config.FoundryConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalDatabaseTest {
  @TempDir Path dataDir;

  private Config config(Path dir) {
    return FoundryConfig.load(
        Map.of(),
        ConfigFactory.parseString("foundry.data-dir = " + ConfigUtil.quoteString(dir.toString())));
  }

  @Test
  void journalFileLivesUnderTheDataDirectory() {
    assertThat(JournalDatabase.journalFile(config(dataDir)))
        .isEqualTo(dataDir.resolve("journal").resolve("journal.db").toAbsolutePath());
  }

  @Test
  void dataDirectoryComesFromTheEnvironment() {
    Config config =
        FoundryConfig.load(Map.of("FOUNDRY_DATA_DIR", dataDir.toString()), ConfigFactory.empty());
    assertThat(JournalDatabase.journalFile(config))
        .isEqualTo(dataDir.resolve("journal/journal.db").toAbsolutePath());
  }

  @Test
  void createsTheDirectoryAndMigratesOnceInWalMode() throws Exception {
    Path nested = dataDir.resolve("a dir with spaces/and more");
    JournalDatabase.Prepared first = JournalDatabase.prepare(config(nested));
    assertThat(first.migrated()).isTrue();
    assertThat(first.fromVersion()).isZero();
    assertThat(first.toVersion()).isEqualTo(1);
    assertThat(first.file()).exists();

    JournalDatabase.Prepared again = JournalDatabase.prepare(config(nested));
    assertThat(again.migrated()).isFalse();
    assertThat(again.toVersion()).isEqualTo(1);

    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + first.file());
        Statement s = c.createStatement()) {
      assertThat(single(s, "PRAGMA journal_mode")).isEqualTo("wal");
      assertThat(single(s, "PRAGMA user_version")).isEqualTo("1");
      assertThat(columns(s, "event_journal"))
          .containsExactly(
              "ordering",
              "persistence_id",
              "sequence_number",
              "deleted",
              "writer",
              "write_timestamp",
              "adapter_manifest",
              "event_ser_id",
              "event_ser_manifest",
              "event_payload",
              "meta_ser_id",
              "meta_ser_manifest",
              "meta_payload");
      assertThat(columns(s, "event_tag")).containsExactly("event_id", "tag");
      assertThat(columns(s, "snapshot"))
          .containsExactly(
              "persistence_id",
              "sequence_number",
              "created",
              "snapshot_ser_id",
              "snapshot_ser_manifest",
              "snapshot_payload",
              "meta_ser_id",
              "meta_ser_manifest",
              "meta_payload");
    }
  }

  @Test
  void preparingAnUpToDateFileMigratesNothing() {
    Config config = config(dataDir);
    JournalDatabase.Prepared first = JournalDatabase.prepare(config);

    JournalDatabase.Prepared again = JournalDatabase.prepare(config);

    assertThat(first.fromVersion()).isZero();
    assertThat(again.fromVersion()).isEqualTo(first.toVersion());
    assertThat(again.toVersion()).isEqualTo(first.toVersion());
  }

  @Test
  void failureNamesTheFile() throws Exception {
    Path blocker = dataDir.resolve("not-a-dir");
    Files.writeString(blocker, "x");
    assertThatThrownBy(() -> JournalDatabase.prepare(config(blocker)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(blocker.resolve("journal/journal.db").toString());
  }

  @Test
  void refusesAFileFromANewerRelease() throws Exception {
    Path file = JournalDatabase.prepare(config(dataDir)).file();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = 99");
    }
    assertThatThrownBy(() -> JournalDatabase.prepare(config(dataDir)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("99");
  }

  private static String single(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static List<String> columns(Statement s, String table) throws Exception {
    List<String> names = new ArrayList<>();
    try (ResultSet rs = s.executeQuery("SELECT name FROM pragma_table_info('" + table + "')")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }
}
