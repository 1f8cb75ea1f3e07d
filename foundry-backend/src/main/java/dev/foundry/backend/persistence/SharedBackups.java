package dev.foundry.backend.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;

/**
 * Actor files' backups in the journal's PostgreSQL database ({@code actor_backup}, {@code
 * actor_backup_chunk}; migration set {@code journal-postgres}), so that a node that has no file for
 * an actor (or an older one) rebuilds it from the latest backup plus the journal after it, as a
 * node does today from its local {@code backups/} directory.
 *
 * <p>One backup per actor. A file goes in and comes out in chunks of {@value #CHUNK_BYTES} bytes,
 * so a large file never sits whole in the heap; it is replaced by the next backup in one
 * transaction (the chunks of the new one, its header, the old chunks deleted), so a reader sees
 * either the old backup or the new one, whole. The header carries the file's SHA-256, checked when
 * it is read back.
 */
public final class SharedBackups {
  /** Bytes per chunk row. */
  static final int CHUNK_BYTES = 1 << 20;

  /**
   * First key of the transaction-scoped advisory lock that serializes writers of one actor's backup
   * (the second is the hash of its persistence id); two-key locks never meet {@code
   * PostgresMigrator}'s one-key lock.
   */
  private static final int LOCK_CLASS = 0x46425550; // "FBUP"

  private final PostgresJournal database;

  public SharedBackups(PostgresJournal database) {
    this.database = database;
  }

  /** The position of {@code persistenceId}'s stored backup; -1 when it has none. */
  public long latestSeqNr(String persistenceId) throws SQLException {
    try (Connection c = database.connect()) {
      return latestSeqNr(c, persistenceId);
    }
  }

  /**
   * Stores {@code file}, a finished backup that has applied the journal up to {@code seqNr}, as
   * {@code persistenceId}'s backup, unless the stored one is at that position or beyond already.
   * Returns the position the store's backup has afterwards (at least {@code seqNr}).
   */
  public long store(String persistenceId, long seqNr, Path file) throws SQLException, IOException {
    try (Connection c = database.connect()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement lock =
            c.prepareStatement("SELECT pg_advisory_xact_lock(?, hashtext(?))")) {
          lock.setInt(1, LOCK_CLASS);
          lock.setString(2, persistenceId);
          lock.execute();
        }
        long stored = latestSeqNr(c, persistenceId);
        if (stored >= seqNr) {
          c.rollback();
          return stored;
        }
        MessageDigest sha = sha256();
        long size = 0;
        int chunks = 0;
        try (InputStream in = Files.newInputStream(file);
            PreparedStatement insert =
                c.prepareStatement(
                    "INSERT INTO actor_backup_chunk (persistence_id, seq_nr, chunk_no, data)"
                        + " VALUES (?, ?, ?, ?)")) {
          byte[] buffer = new byte[CHUNK_BYTES];
          int n;
          while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
            byte[] chunk = n == buffer.length ? buffer : Arrays.copyOf(buffer, n);
            sha.update(chunk);
            insert.setString(1, persistenceId);
            insert.setLong(2, seqNr);
            insert.setInt(3, chunks++);
            insert.setBytes(4, chunk);
            insert.executeUpdate();
            size += n;
          }
        }
        try (PreparedStatement header =
            c.prepareStatement(
                "INSERT INTO actor_backup"
                    + " (persistence_id, seq_nr, size_bytes, chunks, sha256, created_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (persistence_id) DO UPDATE SET"
                    + " seq_nr = EXCLUDED.seq_nr, size_bytes = EXCLUDED.size_bytes,"
                    + " chunks = EXCLUDED.chunks, sha256 = EXCLUDED.sha256,"
                    + " created_at = EXCLUDED.created_at")) {
          header.setString(1, persistenceId);
          header.setLong(2, seqNr);
          header.setLong(3, size);
          header.setInt(4, chunks);
          header.setBytes(5, sha.digest());
          header.setLong(6, System.currentTimeMillis());
          header.executeUpdate();
        }
        try (PreparedStatement old =
            c.prepareStatement(
                "DELETE FROM actor_backup_chunk WHERE persistence_id = ? AND seq_nr <> ?")) {
          old.setString(1, persistenceId);
          old.setLong(2, seqNr);
          old.executeUpdate();
        }
        c.commit();
        return seqNr;
      } catch (SQLException | IOException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  /**
   * Writes {@code persistenceId}'s stored backup to {@code target} (through a partial file, fsynced
   * and renamed over it, so {@code target} is always whole) and returns its position; -1, and
   * {@code target} untouched, when there is none. The chunks are read one at a time in one
   * repeatable-read transaction, so a backup replaced meanwhile is read whole, as it was.
   *
   * @throws IOException also when the bytes read back do not match the stored size and SHA-256
   */
  public long fetch(String persistenceId, Path target) throws SQLException, IOException {
    try (Connection c = database.connect()) {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      try {
        long seqNr;
        long size;
        int chunks;
        byte[] expected;
        try (PreparedStatement q =
            c.prepareStatement(
                "SELECT seq_nr, size_bytes, chunks, sha256 FROM actor_backup"
                    + " WHERE persistence_id = ?")) {
          q.setString(1, persistenceId);
          try (ResultSet rs = q.executeQuery()) {
            if (!rs.next()) {
              return -1;
            }
            seqNr = rs.getLong(1);
            size = rs.getLong(2);
            chunks = rs.getInt(3);
            expected = rs.getBytes(4);
          }
        }
        Files.createDirectories(target.getParent());
        Path partial = target.resolveSibling(target.getFileName() + ".fetch-" + System.nanoTime());
        try {
          MessageDigest sha = sha256();
          long written = 0;
          try (OutputStream out = Files.newOutputStream(partial);
              PreparedStatement q =
                  c.prepareStatement(
                      "SELECT data FROM actor_backup_chunk"
                          + " WHERE persistence_id = ? AND seq_nr = ? AND chunk_no = ?")) {
            for (int i = 0; i < chunks; i++) {
              q.setString(1, persistenceId);
              q.setLong(2, seqNr);
              q.setInt(3, i);
              try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                  throw new IOException(
                      "backup of " + persistenceId + " at " + seqNr + " lacks chunk " + i);
                }
                byte[] chunk = rs.getBytes(1);
                sha.update(chunk);
                out.write(chunk);
                written += chunk.length;
              }
            }
          }
          if (written != size || !MessageDigest.isEqual(sha.digest(), expected)) {
            throw new IOException(
                "backup of "
                    + persistenceId
                    + " at "
                    + seqNr
                    + " read back differs from what was stored ("
                    + written
                    + " of "
                    + size
                    + " bytes, or its SHA-256)");
          }
          try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
            channel.force(true);
          }
          Files.move(
              partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          forceDirectory(target.getParent());
        } finally {
          Files.deleteIfExists(partial);
        }
        c.commit();
        return seqNr;
      } catch (SQLException | IOException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      }
    }
  }

  private static long latestSeqNr(Connection c, String persistenceId) throws SQLException {
    try (PreparedStatement q =
        c.prepareStatement("SELECT seq_nr FROM actor_backup WHERE persistence_id = ?")) {
      q.setString(1, persistenceId);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  /** Makes a rename in {@code dir} durable (a no-op where directories cannot be opened). */
  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException ignored) {
      // not supported on this file system; the rename is as durable as it gets here
    }
  }
}
