package dev.foundry.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigratorTest {
  @TempDir Path dir;

  @Test
  void aNewFileRunsEveryMigrationInIndexOrderAndRecordsTheVersion() throws SQLException {
    try (Connection connection = open("new.db")) {
      Migrator.Result result = Migrator.migrate(connection, MigrationSet.load("test-good"));

      assertThat(result).isEqualTo(new Migrator.Result(0, 2));
      assertThat(result.changed()).isTrue();
      assertThat(Migrator.userVersion(connection)).isEqualTo(2);
      assertThat(tables(connection)).containsExactly("first", "second");
      // The trigger of the second migration exists and works, so its inner ';' did not split it.
      try (Statement statement = connection.createStatement()) {
        statement.execute("INSERT INTO second (id, first_id) VALUES (1, 42)");
        try (ResultSet rs = statement.executeQuery("SELECT id FROM first")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt(1)).isEqualTo(42);
        }
      }
    }
  }

  @Test
  void anUpToDateFileIsLeftAlone() throws SQLException {
    try (Connection connection = open("current.db")) {
      Migrator.migrate(connection, MigrationSet.load("test-good"));

      Migrator.Result again = Migrator.migrate(connection, MigrationSet.load("test-good"));

      assertThat(again).isEqualTo(new Migrator.Result(2, 2));
      assertThat(again.changed()).isFalse();
    }
  }

  @Test
  void anOlderFileRunsOnlyTheMigrationsAfterItsVersion() throws SQLException {
    try (Connection connection = open("older.db")) {
      Migrator.migrate(connection, MigrationSet.load("test-v1"));
      try (Statement statement = connection.createStatement()) {
        statement.execute("INSERT INTO first (id) VALUES (7)");
      }

      Migrator.Result result = Migrator.migrate(connection, MigrationSet.load("test-good"));

      assertThat(result).isEqualTo(new Migrator.Result(1, 2));
      assertThat(tables(connection)).containsExactly("first", "second");
      try (Statement statement = connection.createStatement();
          ResultSet rs = statement.executeQuery("SELECT count(*) FROM first")) {
        rs.next();
        assertThat(rs.getInt(1)).as("rows written at version 1 survive").isEqualTo(1);
      }
    }
  }

  @Test
  void aFailedMigrationLeavesANewFileAsItWas() throws SQLException {
    try (Connection connection = open("broken-new.db")) {
      assertThatThrownBy(() -> Migrator.migrate(connection, MigrationSet.load("test-broken")))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("migration test-broken/002-breaks.sql failed")
          .hasMessageContaining("no_such_table");

      assertThat(Migrator.userVersion(connection)).isZero();
      assertThat(tables(connection))
          .as("the first migration ran in the same transaction")
          .isEmpty();
      assertThat(connection.getAutoCommit()).isTrue();
    }
  }

  @Test
  void aFailedMigrationLeavesAnOlderFileAtItsVersionWithItsData() throws SQLException {
    try (Connection connection = open("broken-old.db")) {
      Migrator.migrate(connection, MigrationSet.load("test-v1"));
      try (Statement statement = connection.createStatement()) {
        statement.execute("INSERT INTO first (id) VALUES (7)");
      }

      assertThatThrownBy(() -> Migrator.migrate(connection, MigrationSet.load("test-broken")))
          .isInstanceOf(SQLException.class);

      assertThat(Migrator.userVersion(connection)).isEqualTo(1);
      assertThat(tables(connection)).containsExactly("first");
      try (Statement statement = connection.createStatement();
          ResultSet rs = statement.executeQuery("SELECT id FROM first")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(7);
      }
    }
  }

  @Test
  void aFileFromANewerReleaseIsRefusedAndNotTouched() throws SQLException {
    try (Connection connection = open("newer.db")) {
      Migrator.migrate(connection, MigrationSet.load("test-good"));

      assertThatThrownBy(() -> Migrator.migrate(connection, MigrationSet.load("test-v1")))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("schema version 2, newer than this build knows (1)");

      assertThat(Migrator.userVersion(connection)).isEqualTo(2);
      assertThat(tables(connection)).containsExactly("first", "second");
    }
  }

  @Test
  void thePreludeRunsInTheSameTransactionAndOnlyWhenSomethingIsMigrated() throws SQLException {
    try (Connection connection = open("prelude.db")) {
      Migrator.migrate(
          connection, MigrationSet.load("test-v1"), MigrationSet.load("actor-runtime"));
      List<String> withPrelude = tables(connection);
      assertThat(withPrelude).contains("first").hasSizeGreaterThan(1);

      try (Statement statement = connection.createStatement()) {
        for (String table : withPrelude) {
          if (!table.equals("first") && !table.equals("_prelude_version")) {
            statement.execute("DROP TABLE " + table);
          }
        }
      }
      Migrator.migrate(
          connection, MigrationSet.load("test-v1"), MigrationSet.load("actor-runtime"));
      assertThat(tables(connection))
          .as("an up-to-date file skips the prelude")
          .containsExactly("_prelude_version", "first");
    }
  }

  @Test
  void aPreludeThatGainedAMigrationReachesFilesWhoseKindIsCurrent() throws SQLException {
    try (Connection connection = open("prelude-grown.db")) {
      Migrator.migrate(
          connection, MigrationSet.load("test-v1"), MigrationSet.load("test-prelude-v1"));
      assertThat(Migrator.preludeVersion(connection)).isEqualTo(1);
      assertThat(tables(connection)).doesNotContain("p2");

      Migrator.Result result =
          Migrator.migrate(
              connection, MigrationSet.load("test-v1"), MigrationSet.load("test-prelude-v2"));

      assertThat(result.changed()).as("the kind's own version").isFalse();
      assertThat(Migrator.preludeVersion(connection)).isEqualTo(2);
      assertThat(tables(connection)).contains("p1", "p2", "first");
    }
  }

  @Test
  void theRuntimeOutboxIsRebuiltWithoutRowidAndKeepsItsRows() throws SQLException {
    try (Connection connection = open("outbox.db")) {
      // A file of the release before: the first two runtime migrations, one undelivered row.
      try (Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE _runtime_outbox (id TEXT PRIMARY KEY, outbound_json TEXT)");
        statement.execute("INSERT INTO _runtime_outbox VALUES ('cmd-1#0', '{\"to\":\"org\"}')");
        statement.execute(
            "CREATE TABLE _prelude_version (id INTEGER PRIMARY KEY, version INTEGER)");
        statement.execute("INSERT INTO _prelude_version VALUES (1, 2)");
      }

      Migrator.migrate(
          connection, MigrationSet.load("test-v1"), MigrationSet.load("actor-runtime"));
      // Again, as when the kind gains a migration later: the rebuild runs once more.
      try (Statement statement = connection.createStatement()) {
        statement.execute("UPDATE _prelude_version SET version = 2");
      }
      Migrator.migrate(
          connection, MigrationSet.load("test-v1"), MigrationSet.load("actor-runtime"));

      try (Statement statement = connection.createStatement()) {
        try (ResultSet rs =
            statement.executeQuery(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '_runtime_outbox'")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).contains("WITHOUT ROWID");
        }
        try (ResultSet rs =
            statement.executeQuery("SELECT id, outbound_json FROM _runtime_outbox")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).isEqualTo("cmd-1#0");
          assertThat(rs.getString(2)).isEqualTo("{\"to\":\"org\"}");
          assertThat(rs.next()).isFalse();
        }
      }
      assertThat(tables(connection)).doesNotContain("_runtime_outbox_by_id");
    }
  }

  @Test
  void aFailingMigrationRollsBackThePreludeToo() throws SQLException {
    try (Connection connection = open("prelude-broken.db")) {
      assertThatThrownBy(
              () ->
                  Migrator.migrate(
                      connection,
                      MigrationSet.load("test-broken"),
                      MigrationSet.load("actor-runtime")))
          .isInstanceOf(SQLException.class);

      assertThat(tables(connection)).isEmpty();
    }
  }

  private Connection open(String name) throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(name));
  }

  private static List<String> tables(Connection connection) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                    + " AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }
}
