package dev.foundry.backend.auditlog;

import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.runtime.ActorTables;
import dev.foundry.shared.contracts.AuditLogEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The audit log's one table, {@code events}. */
public final class AuditLogTables extends ActorTables<AuditLog.Event> {

  AuditLogTables(Connection db) {
    super(db);
  }

  @Override
  protected void apply(AuditLog.Event event) throws SQLException {
    if (event instanceof AuditLog.EntryAppended e) {
      try (PreparedStatement s =
          db.prepareStatement(
              "INSERT INTO events (id, repo_id, task_id, branch_name, kind, payload_json,"
                  + " created_at, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        s.setLong(1, e.id());
        s.setString(2, e.repoId());
        s.setString(3, e.taskId());
        s.setString(4, e.branchName());
        s.setString(5, e.kind());
        s.setString(6, e.payloadJson());
        s.setLong(7, e.createdAt());
        s.setString(8, e.dedupeKey());
        s.executeUpdate();
      }
    }
  }

  /** Keys sorted, so the same payload always prints the same. */
  static String toJson(Map<String, Object> payload) {
    return json(new TreeMap<>(payload));
  }

  long nextId() {
    try (PreparedStatement s = db.prepareStatement("SELECT COALESCE(MAX(id), 0) + 1 FROM events");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  Long idOfDedupeKey(String key) {
    try (PreparedStatement s = db.prepareStatement("SELECT id FROM events WHERE dedupe_key = ?")) {
      s.setString(1, key);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  List<AuditLogEvent> list(String organizationId, AuditLogProtocol.ListEntries q, int limit) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, repo_id, task_id, branch_name, kind, payload_json, created_at"
                + " FROM events WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    filter(sql, args, "repo_id = ?", q.repoId());
    filter(sql, args, "task_id = ?", q.taskId());
    filter(sql, args, "branch_name = ?", q.branchName());
    filter(sql, args, "kind = ?", q.kind());
    filter(sql, args, "id < ?", q.before());
    sql.append(" ORDER BY id DESC LIMIT ?");
    args.add(limit);
    try (PreparedStatement s = db.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        s.setObject(i + 1, args.get(i));
      }
      List<AuditLogEvent> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(
              new AuditLogEvent(
                  rs.getLong(1),
                  organizationId,
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getLong(7)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void filter(StringBuilder sql, List<Object> args, String clause, Object value) {
    if (value != null) {
      sql.append(" AND ").append(clause);
      args.add(value);
    }
  }
}
