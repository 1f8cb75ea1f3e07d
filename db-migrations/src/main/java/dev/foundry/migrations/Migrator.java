package dev.foundry.migrations;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Brings one SQLite database up to the latest version of its {@link MigrationSet}.
 *
 * <p>The version lives in {@code PRAGMA user_version}, so an up-to-date file costs one pragma read
 * at activation (no history table, no checksums): thousands of actors activate per second. All
 * pending migrations run in one transaction; a failure leaves the file at its old version.
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
    if (current == latest) {
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

  public static int userVersion(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("PRAGMA user_version")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }
}
