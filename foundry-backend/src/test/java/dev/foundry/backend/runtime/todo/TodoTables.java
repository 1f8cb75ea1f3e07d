package dev.foundry.backend.runtime.todo;

import dev.foundry.backend.runtime.ActorTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The to-do list's tables: one method per event to write, small read methods for handlers. */
public final class TodoTables extends ActorTables<TodoList.Event> {

  public record Item(long id, String text, boolean done, String addedByCommand) {}

  TodoTables(Connection db) {
    super(db);
  }

  @Override
  protected void apply(TodoList.Event event) throws SQLException {
    if (event instanceof TodoList.ItemAdded e) {
      try (PreparedStatement s =
          db.prepareStatement(
              "INSERT INTO items (id, text, done, added_by_command) VALUES (?, ?, 0, ?)")) {
        s.setLong(1, e.id());
        s.setString(2, e.text());
        s.setString(3, e.commandId());
        s.executeUpdate();
      }
    } else if (event instanceof TodoList.ItemCompleted e) {
      try (PreparedStatement s = db.prepareStatement("UPDATE items SET done = 1 WHERE id = ?")) {
        s.setLong(1, e.id());
        s.executeUpdate();
      }
    }
  }

  long nextId() {
    return queryLong("SELECT COALESCE(MAX(id), 0) + 1 FROM items");
  }

  boolean exists(long id) {
    return queryLong("SELECT COUNT(*) FROM items WHERE id = " + id) > 0;
  }

  boolean isDone(long id) {
    return queryLong("SELECT COUNT(*) FROM items WHERE id = " + id + " AND done = 1") > 0;
  }

  List<Item> items() {
    try (PreparedStatement s =
            db.prepareStatement("SELECT id, text, done, added_by_command FROM items ORDER BY id");
        ResultSet rs = s.executeQuery()) {
      List<Item> out = new ArrayList<>();
      while (rs.next()) {
        out.add(new Item(rs.getLong(1), rs.getString(2), rs.getInt(3) == 1, rs.getString(4)));
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private long queryLong(String sql) {
    try (PreparedStatement s = db.prepareStatement(sql);
        ResultSet rs = s.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
