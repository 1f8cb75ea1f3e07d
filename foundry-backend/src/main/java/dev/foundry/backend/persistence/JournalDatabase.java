package dev.foundry.backend.persistence;

import com.typesafe.config.Config;
import dev.foundry.migrations.MigrationSet;
import dev.foundry.migrations.Migrator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Creates and migrates the journal's SQLite file. Call {@link #prepare(Config)} before the {@code
 * ActorSystem} starts: pekko-persistence-jdbc expects its tables to exist. Idempotent; on an
 * up-to-date file it costs one open and one {@code PRAGMA user_version} read.
 */
public final class JournalDatabase {
  /** The migration set (db-migrations: {@code db/migrations/journal/}). */
  public static final String MIGRATION_KIND = "journal";

  /** Where {@code persistence.conf} puts the journal file. */
  public static final String FILE_SETTING = "foundry.persistence.journal-file";

  private JournalDatabase() {}

  /** What {@link #prepare} found and did. */
  public record Prepared(Path file, int fromVersion, int toVersion) {
    public boolean migrated() {
      return fromVersion != toVersion;
    }
  }

  /**
   * Creates the directory of the journal file, opens it, switches it to WAL, applies pending
   * migrations and closes it.
   *
   * @throws IllegalStateException naming the file when any step fails
   */
  public static Prepared prepare(Config config) {
    return prepare(journalFile(config));
  }

  /**
   * Prepares the journal {@code config} chooses: the PostgreSQL database when {@code
   * foundry.persistence.journal-url} names one ({@link PostgresJournal#prepare}), else the SQLite
   * file ({@link #prepare(Config)}). Returns where it is and its schema version, for the log.
   */
  public static String prepareConfigured(Config config) {
    if (PostgresJournal.configured(config)) {
      PostgresJournal.Prepared prepared = PostgresJournal.of(config).prepare();
      return "PostgreSQL "
          + prepared.location()
          + " at schema version "
          + prepared.toVersion()
          + " ("
          + PostgresJournal.MIGRATION_KIND
          + ")";
    }
    Prepared prepared = prepare(config);
    return prepared.file() + " at schema version " + prepared.toVersion();
  }

  /** The journal file the configuration names, as an absolute path. */
  public static Path journalFile(Config config) {
    return Path.of(config.getString(FILE_SETTING)).toAbsolutePath().normalize();
  }

  static Prepared prepare(Path file) {
    try {
      Path dir = file.getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot create the directory of the journal database " + file + ": " + e, e);
    }
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("PRAGMA busy_timeout = 10000");
        String mode = pragma(statement, "PRAGMA journal_mode = WAL");
        if (!"wal".equals(mode.toLowerCase(Locale.ROOT))) {
          throw new SQLException("journal_mode stays '" + mode + "' instead of 'wal'");
        }
        statement.execute("PRAGMA synchronous = FULL");
      }
      Migrator.Result result = Migrator.migrate(connection, MigrationSet.load(MIGRATION_KIND));
      return new Prepared(file, result.fromVersion(), result.toVersion());
    } catch (SQLException | RuntimeException e) {
      Path dir = file.getParent();
      String hint =
          dir != null && !Files.isWritable(dir)
              ? " (its directory " + dir + " is not writable: a read-only file system or mode)"
              : "";
      throw new IllegalStateException(
          "cannot prepare the journal database " + file + ": " + e.getMessage() + hint, e);
    }
  }

  private static String pragma(Statement statement, String sql) throws SQLException {
    try (ResultSet rs = statement.executeQuery(sql)) {
      return rs.next() ? String.valueOf(rs.getString(1)) : "";
    }
  }

  /**
   * One journal event of an actor as the operator's inspector shows it: its position, when and by
   * which serializer it was written, and its payload as text when it is JSON (cut at 2,000
   * characters), else its size.
   */
  public record JournalEntry(
      long ordering,
      long sequenceNumber,
      long writeTimestamp,
      String manifest,
      int payloadBytes,
      String payload) {}

  /**
   * The newest {@code limit} events of {@code persistenceId}, newest first, read through a
   * read-only connection: the inspector never writes the journal.
   */
  public static List<JournalEntry> recentEntries(Path file, String persistenceId, int limit)
      throws SQLException {
    org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
    config.setReadOnly(true);
    config.setBusyTimeout(5_000);
    try (Connection connection =
            DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
        PreparedStatement s =
            connection.prepareStatement(
                "SELECT ordering, sequence_number, write_timestamp, event_ser_manifest,"
                    + " event_payload FROM event_journal WHERE persistence_id = ? AND deleted = 0"
                    + " ORDER BY sequence_number DESC LIMIT ?")) {
      return entries(s, persistenceId, limit);
    }
  }

  /** Runs the inspector's query {@code s} (SQLite or PostgreSQL) and renders its rows. */
  static List<JournalEntry> entries(PreparedStatement s, String persistenceId, int limit)
      throws SQLException {
    s.setString(1, persistenceId);
    s.setInt(2, limit);
    List<JournalEntry> out = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        byte[] payload = rs.getBytes(5);
        int size = payload == null ? 0 : payload.length;
        String text = size == 0 ? "" : new String(payload, StandardCharsets.UTF_8);
        if (!text.startsWith("{") && !text.startsWith("[")) {
          text = "<" + size + " bytes>";
        } else if (text.length() > 2_000) {
          text = text.substring(0, 2_000) + "…";
        }
        out.add(
            new JournalEntry(
                rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), size, text));
      }
    }
    return out;
  }

  /**
   * The journal {@code config} chooses, for the operator's inspector: the newest {@code limit}
   * events of {@code persistenceId} on PostgreSQL or in the SQLite file.
   */
  public static List<JournalEntry> recentEntries(Config config, String persistenceId, int limit)
      throws SQLException {
    if (PostgresJournal.configured(config)) {
      return PostgresJournal.of(config).recentEntries(persistenceId, limit);
    }
    return recentEntries(journalFile(config), persistenceId, limit);
  }
}
