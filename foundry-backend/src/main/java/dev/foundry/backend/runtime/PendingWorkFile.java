package dev.foundry.backend.runtime;

import dev.foundry.migrations.MigrationSet;
import dev.foundry.migrations.Migrator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * The durable list of actors with accepted-but-not-completed commands ({@code
 * <data>/runtime/pending-work.db}), so that a restart resumes their queues at once instead of when
 * someone next addresses them. Marked before the first queued command is persisted
 * (synchronous=FULL); cleared when the queue empties.
 */
final class PendingWorkFile implements PendingWork {
  private final Connection connection;

  PendingWorkFile(Path dataDir) {
    Path file = dataDir.resolve("runtime").resolve("pending-work.db");
    try {
      Files.createDirectories(file.getParent());
      SQLiteConfig config = new SQLiteConfig();
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
      config.setBusyTimeout(10_000);
      connection = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
      Migrator.migrate(connection, MigrationSet.load("pending-work"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file.getParent(), e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void mark(String persistenceId, String kind, ActorKey key) {
    synchronous("FULL");
    try (PreparedStatement s =
        connection.prepareStatement(
            "INSERT OR IGNORE INTO pending_work (persistence_id, kind, key_json, since)"
                + " VALUES (?, ?, ?, ?)")) {
      PendingWork.bindRow(s, persistenceId, kind, key);
      s.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot mark pending work of " + persistenceId, e);
    }
  }

  /** Cheap (no fsync): losing a clear only costs one extra activation at the next start. */
  @Override
  public synchronized void clear(String persistenceId) {
    synchronous("NORMAL");
    try (PreparedStatement s =
        connection.prepareStatement("DELETE FROM pending_work WHERE persistence_id = ?")) {
      s.setString(1, persistenceId);
      s.executeUpdate();
    } catch (SQLException e) {
      // A stale row only wakes the actor once more at the next start.
    }
  }

  private void synchronous(String mode) {
    try (var s = connection.createStatement()) {
      s.execute("PRAGMA synchronous = " + mode);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot set synchronous=" + mode, e);
    }
  }

  @Override
  public synchronized List<Entry> all() {
    try (PreparedStatement s =
            connection.prepareStatement("SELECT kind, key_json FROM pending_work ORDER BY since");
        ResultSet rs = s.executeQuery()) {
      return PendingWork.entries(rs);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read pending work", e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // closing
    }
  }
}
