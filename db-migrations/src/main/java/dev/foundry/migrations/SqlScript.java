package dev.foundry.migrations;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a migration file into statements. Deliberately simple: a statement ends with a line whose
 * last non-blank character is {@code ;}, and lines starting with {@code --} are comments. Triggers
 * (which contain inner semicolons) end with a line {@code END;}, which the rule handles because
 * inner lines of a trigger body are tracked until that line.
 */
final class SqlScript {
  private SqlScript() {}

  static List<String> statements(String sql) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean inTrigger = false;
    for (String raw : sql.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("--")) {
        continue;
      }
      current.append(raw).append('\n');
      String upper = line.toUpperCase();
      if (upper.startsWith("CREATE TRIGGER") || upper.startsWith("CREATE TEMP TRIGGER")) {
        inTrigger = true;
      }
      boolean ends = line.endsWith(";") && (!inTrigger || upper.equals("END;"));
      if (ends) {
        statements.add(current.toString().strip());
        current.setLength(0);
        inTrigger = false;
      }
    }
    if (!current.toString().isBlank()) {
      throw new IllegalArgumentException(
          "migration ends without ';' after: " + current.toString().strip());
    }
    return statements;
  }
}
