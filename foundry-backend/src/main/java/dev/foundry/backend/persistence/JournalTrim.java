package dev.foundry.backend.persistence;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Deletes an actor's journal events and snapshots that a durable backup of its file made
 * unnecessary. The runtime calls it after each backup (off every actor's thread): rebuilding a lost
 * file needs the backup, the latest snapshot at or below the backup's position (the queue state),
 * and the events after that snapshot, so everything below that snapshot goes. The events are
 * deleted below it, never at or above, so the actor's highest sequence number always stays in the
 * journal (the plugin reads it at recovery to continue numbering).
 *
 * <p>On SQLite the deletes run on a connection of their own, with the pragmas of {@code
 * persistence.conf} (FULL, WAL, the same busy timeout), in IMMEDIATE transactions of at most
 * {@value #SQLITE_CHUNK} events each, oldest first, with a pause between them. SQLite has one write
 * lock: one transaction for a whole trim (thousands of events, spread over as many pages, since the
 * actors' events interleave) held every actor's journal write for tens of milliseconds. A trim cut
 * short leaves the oldest events deleted and the rest contiguous; the next one finishes it. The
 * snapshots go last. On PostgreSQL, whose row locks do not stop the plugin's inserts, the same
 * statements run in one transaction.
 */
public final class JournalTrim {
  private final Path journalFile;
  private final PostgresJournal postgres;

  public JournalTrim(Path journalFile) {
    this.journalFile = journalFile;
    this.postgres = null;
  }

  /**
   * Trims the journal on PostgreSQL, in one transaction on a connection of {@code postgres}'s pool.
   * Row locks order the deletes with the plugin's writes, which only ever insert above them.
   */
  public JournalTrim(PostgresJournal postgres) {
    this.journalFile = null;
    this.postgres = postgres;
  }

  /**
   * Deletes what the backup at {@code coveredSeqNr} made unnecessary for {@code persistenceId};
   * returns the sequence number of the snapshot everything below was deleted from (0: none yet,
   * nothing deleted; or the thread was interrupted between two chunks, some deleted).
   */
  public long trim(String persistenceId, long coveredSeqNr) throws SQLException {
    if (postgres != null) {
      try (Connection c = postgres.connect()) {
        c.setAutoCommit(false);
        try {
          long from = deleteBelowLatestSnapshot(c, persistenceId, coveredSeqNr);
          c.commit();
          return from;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
      }
    }
    Properties properties = new Properties();
    properties.setProperty("journal_mode", "WAL");
    properties.setProperty("synchronous", "FULL");
    properties.setProperty("busy_timeout", "10000");
    properties.setProperty("foreign_keys", "true");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + journalFile, properties);
        Statement s = c.createStatement()) {
      long from = number(c, LATEST_SNAPSHOT_AT_OR_BELOW, persistenceId, coveredSeqNr);
      if (from <= 0) {
        return from;
      }
      long oldest = number(c, OLDEST_EVENT_BELOW, persistenceId, from);
      for (long to = Math.min(oldest + SQLITE_CHUNK, from); oldest > 0; to += SQLITE_CHUNK) {
        long below = Math.min(to, from);
        immediate(s, () -> delete(c, DELETE_EVENTS, persistenceId, below));
        if (below >= from) {
          break;
        }
        try {
          // Writers that found the lock taken wait in SQLite's busy handler, which sleeps between
          // its tries: without a pause the next chunk would take the lock before them.
          Thread.sleep(SQLITE_CHUNK_PAUSE_MS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return 0; // shutting down: the next trim goes on from here
        }
      }
      immediate(s, () -> delete(c, DELETE_SNAPSHOTS, persistenceId, from));
      return from;
    }
  }

  private static final String DELETE_EVENTS =
      "DELETE FROM event_journal WHERE persistence_id = ? AND sequence_number < ?";
  private static final String DELETE_SNAPSHOTS =
      "DELETE FROM snapshot WHERE persistence_id = ? AND sequence_number < ?";

  /** Events deleted per write transaction on SQLite (see the class comment). */
  static final int SQLITE_CHUNK = 256;

  /** The pause between two chunks of a trim on SQLite. */
  private static final long SQLITE_CHUNK_PAUSE_MS = 20;

  private interface Work {
    void run() throws SQLException;
  }

  private static void immediate(Statement s, Work work) throws SQLException {
    s.execute("BEGIN IMMEDIATE");
    boolean committed = false;
    try {
      work.run();
      s.execute("COMMIT");
      committed = true;
    } finally {
      if (!committed) {
        s.execute("ROLLBACK");
      }
    }
  }

  /** The actor's oldest event below a bound; 0 when there is none. */
  private static final String OLDEST_EVENT_BELOW =
      "SELECT min(sequence_number) FROM event_journal"
          + " WHERE persistence_id = ? AND sequence_number < ?";

  /** The actor's latest snapshot at or below a bound; 0 when there is none. */
  private static final String LATEST_SNAPSHOT_AT_OR_BELOW =
      "SELECT max(sequence_number) FROM snapshot"
          + " WHERE persistence_id = ? AND sequence_number <= ?";

  /** The statements of a trim, the same on SQLite and PostgreSQL; the caller commits. */
  private static long deleteBelowLatestSnapshot(
      Connection c, String persistenceId, long coveredSeqNr) throws SQLException {
    long from = number(c, LATEST_SNAPSHOT_AT_OR_BELOW, persistenceId, coveredSeqNr);
    if (from > 0) {
      delete(c, DELETE_EVENTS, persistenceId, from);
      delete(c, DELETE_SNAPSHOTS, persistenceId, from);
    }
    return from;
  }

  /** The single number {@code sql} answers for the actor and a bound (0 when NULL). */
  private static long number(Connection c, String sql, String persistenceId, long bound)
      throws SQLException {
    try (PreparedStatement q = c.prepareStatement(sql)) {
      q.setString(1, persistenceId);
      q.setLong(2, bound);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  private static void delete(Connection c, String sql, String persistenceId, long below)
      throws SQLException {
    try (PreparedStatement d = c.prepareStatement(sql)) {
      d.setString(1, persistenceId);
      d.setLong(2, below);
      d.executeUpdate();
    }
  }
}
