package dev.foundry.backend.auditlog;

import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.runtime.ActorTables;
import dev.foundry.shared.contracts.AuditLogEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The audit log's one table, {@code events}. */
public final class AuditLogTables extends ActorTables<AuditLog.Event> {

  AuditLogTables(Connection db) {
    super(db);
    on(AuditLog.EntryAppended.class, this::entryAppended);
  }

  private void entryAppended(AuditLog.EntryAppended e) throws SQLException {
    exec(
        "INSERT INTO events (id, repo_id, task_id, branch_name, kind, payload_json, created_at,"
            + " dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        e.id(),
        e.repoId(),
        e.taskId(),
        e.branchName(),
        e.kind(),
        e.payloadJson(),
        e.createdAt(),
        e.dedupeKey());
  }

  /** Keys sorted, so the same payload always prints the same. */
  static String toJson(Map<String, Object> payload) {
    return json(new TreeMap<>(payload));
  }

  long nextId() {
    return one("SELECT COALESCE(MAX(id), 0) + 1 FROM events", rs -> rs.getLong(1));
  }

  Long idOfDedupeKey(String key) {
    return one("SELECT id FROM events WHERE dedupe_key = ?", rs -> rs.getLong(1), key);
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
    return rows(
        sql.toString(),
        rs ->
            new AuditLogEvent(
                rs.getLong(1),
                organizationId,
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                rs.getLong(7)),
        args.toArray());
  }

  private static void filter(StringBuilder sql, List<Object> args, String clause, Object value) {
    if (value != null) {
      sql.append(" AND ").append(clause);
      args.add(value);
    }
  }
}
