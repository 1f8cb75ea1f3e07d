package dev.foundry.backend.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trimming on SQLite deletes in chunks of {@link JournalTrim#SQLITE_CHUNK} events: a trim of many
 * chunks still deletes exactly what lies below the latest snapshot the backup covers, and nothing
 * of another actor.
 */
class JournalTrimTest {
  @TempDir Path dir;
  private Path journal;

  @BeforeEach
  void journal() throws Exception {
    journal = dir.resolve("journal.db");
    JournalDatabase.prepare(journal);
    int events = JournalTrim.SQLITE_CHUNK * 4 + 50;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + journal)) {
      c.setAutoCommit(false);
      // The actors' events interleave, as they do when they are written together.
      for (int seq = 1; seq <= events; seq++) {
        event(c, "a", seq);
        if (seq <= 20) {
          event(c, "b", seq);
        }
      }
      for (int seq : new int[] {500, 900, 1000}) {
        snapshot(c, "a", seq);
      }
      snapshot(c, "b", 10);
      c.commit();
    }
  }

  private static void event(Connection c, String pid, int seq) throws Exception {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO event_journal (persistence_id, sequence_number, writer, write_timestamp,"
                + " adapter_manifest, event_ser_id, event_ser_manifest, event_payload)"
                + " VALUES (?, ?, 'w', 0, '', 1, 'm', x'00')")) {
      s.setString(1, pid);
      s.setInt(2, seq);
      s.executeUpdate();
    }
  }

  private static void snapshot(Connection c, String pid, int seq) throws Exception {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO snapshot (persistence_id, sequence_number, created, snapshot_ser_id,"
                + " snapshot_ser_manifest, snapshot_payload) VALUES (?, ?, 0, 1, 'm', x'00')")) {
      s.setString(1, pid);
      s.setInt(2, seq);
      s.executeUpdate();
    }
  }

  private long query(String sql, String pid) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + journal);
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, pid);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }

  @Test
  void aTrimOfManyChunksDeletesExactlyWhatLiesBelowTheCoveredSnapshot() throws Exception {
    JournalTrim trim = new JournalTrim(journal);
    assertThat(trim.trim("a", 499)).as("no snapshot at or below 499: nothing goes").isZero();
    assertThat(query("SELECT count(*) FROM event_journal WHERE persistence_id = ?", "a"))
        .isEqualTo(JournalTrim.SQLITE_CHUNK * 4 + 50);

    assertThat(trim.trim("a", 950)).isEqualTo(900);
    assertThat(
            query("SELECT min(sequence_number) FROM event_journal WHERE persistence_id = ?", "a"))
        .isEqualTo(900);
    assertThat(query("SELECT count(*) FROM event_journal WHERE persistence_id = ?", "a"))
        .isEqualTo(JournalTrim.SQLITE_CHUNK * 4 + 50 - 899);
    assertThat(query("SELECT min(sequence_number) FROM snapshot WHERE persistence_id = ?", "a"))
        .isEqualTo(900);
    assertThat(query("SELECT count(*) FROM event_journal WHERE persistence_id = ?", "b"))
        .as("another actor's events stay")
        .isEqualTo(20);
    assertThat(query("SELECT count(*) FROM snapshot WHERE persistence_id = ?", "b")).isEqualTo(1);

    assertThat(trim.trim("a", 950)).as("again: nothing left to delete").isEqualTo(900);
    assertThat(
            query("SELECT min(sequence_number) FROM event_journal WHERE persistence_id = ?", "a"))
        .isEqualTo(900);
  }
}
