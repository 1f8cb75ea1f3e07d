package dev.foundry.migrations;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Brings a PostgreSQL database up to the latest version of a {@link MigrationSet}: the shared store
 * of the journal ({@code journal-postgres}). Unlike {@link Migrator} (one SQLite file per actor,
 * version in {@code PRAGMA user_version}) the version lives in a table, {@code
 * foundry_schema_version}, one row per set, and several processes may start against the same
 * database at once.
 *
 * <p>Everything runs in one transaction that first takes a transaction-scoped advisory lock: a
 * second process waits for the first to commit, then finds the set at its latest version and does
 * nothing. PostgreSQL's DDL is transactional, so a failed migration leaves the database at its old
 * version. A database at a newer version than this build knows is refused.
 */
public final class PostgresMigrator {
  /**
   * The advisory lock every migration run takes ("Foundry" in ASCII, then 1). Any other user of the
   * same database must not take this key for something else.
   */
  public static final long LOCK_KEY = 0x466F756E64727901L;

  private PostgresMigrator() {}

  public static Migrator.Result migrate(Connection connection, MigrationSet set)
      throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      statement.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
      statement.execute(
          "CREATE TABLE IF NOT EXISTS foundry_schema_version"
              + " (migration_set VARCHAR(100) PRIMARY KEY, version INTEGER NOT NULL)");
      int current = version(connection, set.kind());
      int latest = set.latestVersion();
      if (current > latest) {
        throw new SQLException(
            "the database's '"
                + set.kind()
                + "' schema is at version "
                + current
                + ", newer than this build knows ("
                + latest
                + "); refusing to use it with an older release");
      }
      for (MigrationSet.Migration migration : set.migrations()) {
        if (migration.version() <= current) {
          continue;
        }
        for (String sql : migration.statements()) {
          try {
            statement.execute(sql);
          } catch (SQLException e) {
            throw new SQLException(
                "migration " + set.kind() + "/" + migration.name() + " failed: " + e.getMessage(),
                e);
          }
        }
      }
      if (current != latest) {
        try (PreparedStatement upsert =
            connection.prepareStatement(
                "INSERT INTO foundry_schema_version (migration_set, version) VALUES (?, ?)"
                    + " ON CONFLICT (migration_set) DO UPDATE SET version = EXCLUDED.version")) {
          upsert.setString(1, set.kind());
          upsert.setInt(2, latest);
          upsert.executeUpdate();
        }
      }
      connection.commit();
      return new Migrator.Result(current, latest);
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /** The version of {@code set} the database has; 0 when it has none. */
  public static int version(Connection connection, String set) throws SQLException {
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT version FROM foundry_schema_version WHERE migration_set = ?")) {
      q.setString(1, set);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }
}
