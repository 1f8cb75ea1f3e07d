package dev.foundry.backend.runtime;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every table of an actor's SQLite file for the operator's inspector: names from {@code
 * sqlite_master}, then a count and the first rows of each. Only {@code SELECT}s: the inspector
 * changes nothing. Table names come from SQLite itself and are quoted, never from a request.
 */
final class TableDump {
  /** Longer text values are cut: an inspector shows a glimpse, not whole transcripts. */
  private static final int MAX_TEXT = 2_000;

  private TableDump() {}

  static List<ActorInspection.Table> read(Connection connection, int rowLimit) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                    + " AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    List<ActorInspection.Table> tables = new ArrayList<>();
    for (String name : names) {
      String quoted = "\"" + name.replace("\"", "\"\"") + "\"";
      long count;
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM " + quoted)) {
        count = rs.next() ? rs.getLong(1) : 0;
      }
      List<String> columns = new ArrayList<>();
      List<Map<String, Object>> rows = new ArrayList<>();
      try (PreparedStatement s =
          connection.prepareStatement("SELECT * FROM " + quoted + " LIMIT ?")) {
        s.setInt(1, rowLimit);
        try (ResultSet rs = s.executeQuery()) {
          ResultSetMetaData meta = rs.getMetaData();
          for (int i = 1; i <= meta.getColumnCount(); i++) {
            columns.add(meta.getColumnName(i));
          }
          while (rs.next()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 1; i <= columns.size(); i++) {
              row.put(columns.get(i - 1), value(rs.getObject(i)));
            }
            rows.add(row);
          }
        }
      }
      tables.add(new ActorInspection.Table(name, columns, count, rows));
    }
    return tables;
  }

  private static Object value(Object raw) {
    if (raw instanceof byte[] bytes) {
      return "<" + bytes.length + " bytes>";
    }
    if (raw instanceof String text && text.length() > MAX_TEXT) {
      return text.substring(0, MAX_TEXT) + "…";
    }
    return raw;
  }
}
