package dev.foundry.migrations;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Brings one SQLite database up to the latest version of its {@link MigrationSet}.
 *
 * <p>The version lives in {@code PRAGMA user_version}, so an up-to-date file costs one pragma read
 * at activation (no history table, no checksums: a test pins released migrations instead):
 * thousands of actors activate per second. All pending migrations run in one transaction; a failure
 * leaves the file at its old version.
 *
 * <p>A prelude (tables every kind's file has) keeps its own version in {@code _prelude_version}, so
 * a prelude that gains a migration reaches files whose kind did not change.
 */
public final class Migrator {
  private Migrator() {}

  /** The outcome of one migration run. */
  public record Result(int fromVersion, int toVersion) {
    public boolean changed() {
      return fromVersion != toVersion;
    }
  }

  public static Result migrate(Connection connection, MigrationSet set) throws SQLException {
    return migrate(connection, set, null);
  }

  /**
   * Like {@link #migrate(Connection, MigrationSet)}, running {@code prelude} first in the same
   * transaction whenever anything is migrated. The prelude holds tables that every file of every
   * kind has (the actor runtime's own); its statements must be idempotent ({@code IF NOT EXISTS})
   * because it has no version of its own.
   */
  public static Result migrate(Connection connection, MigrationSet set, MigrationSet prelude)
      throws SQLException {
    int current = userVersion(connection);
    int latest = set.latestVersion();
    if (current == latest
        && (prelude == null || preludeVersion(connection) >= prelude.latestVersion())) {
      return new Result(current, current);
    }
    if (current > latest) {
      throw new SQLException(
          "database of kind '"
              + set.kind()
              + "' is at schema version "
              + current
              + ", newer than this build knows ("
              + latest
              + "); refusing to open it with an older release");
    }
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      if (prelude != null) {
        for (MigrationSet.Migration migration : prelude.migrations()) {
          run(statement, prelude, migration);
        }
        statement.execute(
            "CREATE TABLE IF NOT EXISTS _prelude_version"
                + " (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)");
        statement.execute(
            "INSERT OR REPLACE INTO _prelude_version (id, version) VALUES (1, "
                + prelude.latestVersion()
                + ")");
      }
      for (MigrationSet.Migration migration : set.migrations()) {
        if (migration.version() <= current) {
          continue;
        }
        run(statement, set, migration);
      }
      // PRAGMA does not take bind parameters; the value is an int we computed.
      statement.execute("PRAGMA user_version = " + latest);
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
    return new Result(current, latest);
  }

  private static void run(Statement statement, MigrationSet set, MigrationSet.Migration migration)
      throws SQLException {
    for (String sql : migration.statements()) {
      try {
        statement.execute(sql);
      } catch (SQLException e) {
        throw new SQLException(
            "migration " + set.kind() + "/" + migration.name() + " failed: " + e.getMessage(), e);
      }
    }
  }

  /** The version of the prelude this file has; 0 for files migrated before it was recorded. */
  static int preludeVersion(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                    + " AND name = '_prelude_version'")) {
      if (!rs.next() || rs.getInt(1) == 0) {
        return 0;
      }
    }
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery("SELECT version FROM _prelude_version WHERE id = 1")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }

  public static int userVersion(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("PRAGMA user_version")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }
}
