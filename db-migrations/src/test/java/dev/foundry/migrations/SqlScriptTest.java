package dev.foundry.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SqlScriptTest {
  @Test
  void statementsEndAtASemicolonAtTheEndOfALineAndCommentsAreDropped() {
    String sql =
        "-- two tables\n"
            + "CREATE TABLE a (\n"
            + "  id INTEGER PRIMARY KEY, -- the key\n"
            + "  note TEXT DEFAULT 'x;y'\n"
            + ");\n"
            + "\n"
            + "CREATE INDEX a_note ON a (note);\n";

    assertThat(SqlScript.statements(sql))
        .containsExactly(
            "CREATE TABLE a (\n  id INTEGER PRIMARY KEY, -- the key\n  note TEXT DEFAULT 'x;y'\n);",
            "CREATE INDEX a_note ON a (note);");
  }

  @Test
  void aTriggerBodyStaysOneStatementUntilEnd() {
    String sql =
        "CREATE TRIGGER t AFTER INSERT ON a\n"
            + "BEGIN\n"
            + "  INSERT INTO b VALUES (NEW.id);\n"
            + "  DELETE FROM c;\n"
            + "END;\n"
            + "CREATE TABLE d (id INTEGER);\n";

    assertThat(SqlScript.statements(sql)).hasSize(2);
    assertThat(SqlScript.statements(sql).get(0)).startsWith("CREATE TRIGGER").endsWith("END;");
  }

  @Test
  void aScriptEndingWithoutASemicolonIsRefused() {
    assertThatThrownBy(() -> SqlScript.statements("CREATE TABLE a (id INTEGER)\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("migration ends without ';' after: CREATE TABLE a (id INTEGER)");
  }
}
