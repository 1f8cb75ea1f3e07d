package dev.foundry.backend.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The statements that {@link ActorTables} keeps prepared behave as freshly prepared ones. */
class ActorTablesTest {
  @TempDir Path dir;

  private static final class Notes extends ActorTables<DurableEvent> {
    Notes(Connection db) {
      super(db);
    }

    void add(String text) throws SQLException {
      exec("INSERT INTO notes (text) VALUES (?)", text);
    }

    List<String> texts() {
      return rows("SELECT text FROM notes ORDER BY id", rs -> rs.getString(1));
    }

    /** Runs the same query again from inside its own row reader. */
    List<Integer> nestedCounts() {
      return rows("SELECT text FROM notes ORDER BY id", rs -> texts().size());
    }

    List<String> failing() {
      return rows(
          "SELECT text FROM notes ORDER BY id",
          rs -> {
            throw new SQLException("the reader failed");
          });
    }
  }

  @Test
  void aKeptStatementSeesEveryWriteAndMayRunInsideItself() throws Exception {
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("a.db"))) {
      try (var s = db.createStatement()) {
        s.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
      }
      Notes notes = new Notes(db);
      assertThat(notes.texts()).isEmpty();
      notes.add("a");
      assertThat(notes.texts()).containsExactly("a");
      notes.add("b");
      assertThat(notes.texts()).containsExactly("a", "b");
      assertThat(notes.nestedCounts()).containsExactly(2, 2);
      assertThatThrownBy(notes::failing).hasMessageContaining("the reader failed");
      notes.add("c");
      assertThat(notes.texts()).containsExactly("a", "b", "c");

      // A kept statement holds no read transaction: another connection's write is seen, and a
      // checkpoint is not held back.
      try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("a.db"));
          var s = other.createStatement()) {
        s.execute("INSERT INTO notes (text) VALUES ('d')");
      }
      assertThat(notes.texts()).containsExactly("a", "b", "c", "d");
    }
  }
}
