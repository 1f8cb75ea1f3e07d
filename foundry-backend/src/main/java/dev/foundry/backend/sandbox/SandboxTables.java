package dev.foundry.backend.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.runtime.ActorTables;
import dev.foundry.backend.sandbox.SandboxActor.GitCredentialsStored;
import dev.foundry.backend.sandbox.SandboxActor.GitStateRefreshed;
import dev.foundry.backend.sandbox.SandboxActor.ProcessStarted;
import dev.foundry.backend.sandbox.SandboxActor.ProcessStopped;
import dev.foundry.backend.sandbox.SandboxActor.RepositoryCloned;
import dev.foundry.backend.sandbox.SandboxActor.SandboxDestroyed;
import dev.foundry.backend.sandbox.SandboxActor.SandboxProvisioned;
import dev.foundry.backend.sandbox.SandboxActor.SandboxReattached;
import dev.foundry.backend.sandbox.SandboxActor.SessionCreated;
import dev.foundry.backend.sandbox.SandboxActor.SessionStatusChanged;
import dev.foundry.backend.sandbox.SandboxActor.TranscriptEntryAppended;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The sandbox actor's tables: the sandbox, repository, owner, sessions, transcript, processes. */
public final class SandboxTables extends ActorTables<SandboxActor.Event> {
  private static final ObjectMapper JSON = new ObjectMapper();

  // Rows and views
  // ---------------------------------------------------------------------------------

  record SandboxRow(
      String providerId,
      String sandboxId,
      String baseUrl,
      String homeDir,
      String workDir,
      String state,
      long provisionedAt,
      Long reattachedAt) {
    boolean destroyed() {
      return "destroyed".equals(state);
    }
  }

  record SessionRow(
      String sessionId,
      String agent,
      String model,
      String cwd,
      String status,
      String turnId,
      String errorMessage,
      long createdAt,
      long updatedAt) {}

  /** What the task actor and the UI see of the sandbox. {@code state}: running or destroyed. */
  public record SandboxView(
      String providerId,
      String sandboxId,
      String state,
      String baseUrl,
      String homeDir,
      String workDir,
      long provisionedAt,
      Long reattachedAt,
      RepositoryView repository,
      GitOwner gitOwner,
      GitState gitState) {}

  /** {@code branch}/{@code headCommit} as cloned; {@code pushedCommit} the last one pushed. */
  public record RepositoryView(
      String remoteUrl,
      String branch,
      String headCommit,
      String dir,
      String pushedBranch,
      String pushedCommit) {
    RepositoryView(String remoteUrl, String branch, String headCommit, String dir) {
      this(remoteUrl, branch, headCommit, dir, null, null);
    }
  }

  /** Whose credentials are in the sandbox; the secret itself is never stored. */
  public record GitOwner(String ownerUserId, String login, String email, List<String> hosts) {}

  /** {@code status}: idle, running, error or closed. */
  public record SessionView(
      String sessionId,
      String agent,
      String model,
      String status,
      String turnId,
      String errorMessage,
      long createdAt,
      long updatedAt) {}

  /** {@code sender}: client, agent or system; {@code kind} is the ACP update kind for agents. */
  public record TranscriptEntry(
      long eventIndex,
      String sessionId,
      String turnId,
      String sender,
      String kind,
      JsonNode payload,
      long createdAt) {}

  public record SessionDetail(SessionView session, List<TranscriptEntry> transcript) {
    /** The agent's reply text of one turn: its message chunks joined. */
    public String agentText(String turnId) {
      StringBuilder b = new StringBuilder();
      for (TranscriptEntry e : transcript) {
        if (turnId.equals(e.turnId()) && "agent_message_chunk".equals(e.kind())) {
          b.append(e.payload().path("content").path("text").asText(""));
        }
      }
      return b.toString();
    }
  }

  /** {@code type}: A (added or untracked), M or D; line counts null for binary files. */
  public record FileChange(String path, String type, Integer added, Integer removed) {}

  public record GitState(
      String branch, int ahead, int behind, List<FileChange> files, int added, int removed) {}

  public record ProcessRecord(
      String processId,
      String command,
      List<String> args,
      String cwd,
      long startedAt,
      Long stoppedAt) {}

  SandboxTables(Connection db) {
    super(db);
  }

  // Events
  // -----------------------------------------------------------------------------------------

  @Override
  protected void apply(SandboxActor.Event event) throws SQLException {
    if (event instanceof SandboxProvisioned e) {
      update(
          "INSERT OR REPLACE INTO sandbox (id, provider_id, sandbox_id, base_url, home_dir,"
              + " work_dir, state, provisioned_at, repo_id)"
              + " VALUES (1, ?, ?, ?, ?, ?, 'running', ?, ?)",
          e.providerId(),
          e.sandboxId(),
          e.baseUrl(),
          e.homeDir(),
          e.workDir(),
          e.at(),
          e.repoId());
    } else if (event instanceof SandboxReattached e) {
      update(
          "UPDATE sandbox SET base_url = ?, reattached_at = ? WHERE id = 1", e.baseUrl(), e.at());
    } else if (event instanceof SandboxDestroyed e) {
      update("UPDATE sandbox SET state = 'destroyed', destroyed_at = ? WHERE id = 1", e.at());
      update("UPDATE processes SET stopped_at = ? WHERE stopped_at IS NULL", e.at());
    } else if (event instanceof RepositoryCloned e) {
      update(
          "INSERT OR REPLACE INTO repository (id, remote_url, branch, head_commit, dir, cloned_at)"
              + " VALUES (1, ?, ?, ?, ?, ?)",
          e.remoteUrl(),
          e.branch(),
          e.headCommit(),
          e.dir(),
          e.at());
    } else if (event instanceof GitCredentialsStored e) {
      update(
          "INSERT OR REPLACE INTO git_owner (id, owner_user_id, login, email, hosts_json,"
              + " stored_at) VALUES (1, ?, ?, ?, ?, ?)",
          e.ownerUserId(),
          e.login(),
          e.email(),
          json(e.hosts()),
          e.at());
    } else if (event instanceof SessionCreated e) {
      update(
          "INSERT INTO sessions (session_id, agent, model, cwd, status, created_at, updated_at)"
              + " VALUES (?, ?, ?, ?, 'idle', ?, ?)",
          e.sessionId(),
          e.agent(),
          e.model(),
          e.cwd(),
          e.at(),
          e.at());
    } else if (event instanceof SessionStatusChanged e) {
      update(
          "UPDATE sessions SET status = ?, turn_id = ?, error_message = ?, updated_at = ?"
              + " WHERE session_id = ?",
          e.status(),
          e.turnId(),
          e.errorMessage(),
          e.at(),
          e.sessionId());
    } else if (event instanceof SandboxActor.SessionModelChanged e) {
      update(
          "UPDATE sessions SET model = ?, updated_at = ? WHERE session_id = ?",
          e.model(),
          e.at(),
          e.sessionId());
    } else if (event instanceof TranscriptEntryAppended e) {
      update(
          "INSERT INTO transcript (session_id, event_index, turn_id, sender, kind, payload_json,"
              + " created_at) SELECT ?, COALESCE(MAX(event_index), 0) + 1, ?, ?, ?, ?, ?"
              + " FROM transcript WHERE session_id = ?",
          e.sessionId(),
          e.turnId(),
          e.sender(),
          e.kind(),
          e.payloadJson(),
          e.at(),
          e.sessionId());
    } else if (event instanceof GitStateRefreshed e) {
      GitState s = e.state();
      update(
          "INSERT OR REPLACE INTO git_state (id, branch, ahead, behind, files_json, refreshed_at)"
              + " VALUES (1, ?, ?, ?, ?, ?)",
          s.branch(),
          s.ahead(),
          s.behind(),
          json(s.files()),
          e.at());
    } else if (event instanceof SandboxActor.BranchPushed e) {
      update(
          "UPDATE repository SET pushed_branch = ?, pushed_commit = ?, pushed_at = ? WHERE id = 1",
          e.branch(),
          e.headCommit(),
          e.at());
    } else if (event instanceof ProcessStarted e) {
      update(
          "INSERT OR REPLACE INTO processes (process_id, command, args_json, cwd, started_at)"
              + " VALUES (?, ?, ?, ?, ?)",
          e.processId(),
          e.command(),
          json(e.args()),
          e.cwd(),
          e.at());
    } else if (event instanceof ProcessStopped e) {
      update(
          "UPDATE processes SET stopped_at = ? WHERE process_id = ? AND stopped_at IS NULL",
          e.at(),
          e.processId());
    }
  }

  // Reads
  // ------------------------------------------------------------------------------------------

  SandboxRow sandbox() {
    return one(
        "SELECT provider_id, sandbox_id, base_url, home_dir, work_dir, state, provisioned_at,"
            + " reattached_at FROM sandbox WHERE id = 1",
        rs ->
            new SandboxRow(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                rs.getLong(7),
                nullableLong(rs, 8)));
  }

  /** The repository id of the sandbox's task (null for a sandbox provisioned without one). */
  String repoId() {
    return one("SELECT repo_id FROM sandbox WHERE id = 1", rs -> rs.getString(1));
  }

  /**
   * Whether {@code turnId} of {@code sessionId} was started (a redelivered message is not resent).
   */
  boolean hasTurn(String sessionId, String turnId) {
    return one(
            "SELECT 1 FROM transcript WHERE session_id = ? AND turn_id = ? LIMIT 1",
            rs -> rs.getInt(1),
            sessionId,
            turnId)
        != null;
  }

  SandboxView view() {
    SandboxRow row = sandbox();
    if (row == null) {
      return null;
    }
    return new SandboxView(
        row.providerId(),
        row.sandboxId(),
        row.state(),
        row.baseUrl(),
        row.homeDir(),
        row.workDir(),
        row.provisionedAt(),
        row.reattachedAt(),
        repository(),
        gitOwner(),
        gitState());
  }

  RepositoryView repository() {
    return one(
        "SELECT remote_url, branch, head_commit, dir, pushed_branch, pushed_commit FROM repository"
            + " WHERE id = 1",
        rs ->
            new RepositoryView(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6)));
  }

  GitOwner gitOwner() {
    return one(
        "SELECT owner_user_id, login, email, hosts_json FROM git_owner WHERE id = 1",
        rs ->
            new GitOwner(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                parse(rs.getString(4), new TypeReference<List<String>>() {})));
  }

  GitState gitState() {
    return one(
        "SELECT branch, ahead, behind, files_json FROM git_state WHERE id = 1",
        rs -> {
          List<FileChange> files = parse(rs.getString(4), new TypeReference<List<FileChange>>() {});
          int added = 0;
          int removed = 0;
          for (FileChange f : files) {
            added += f.added() == null ? 0 : f.added();
            removed += f.removed() == null ? 0 : f.removed();
          }
          return new GitState(rs.getString(1), rs.getInt(2), rs.getInt(3), files, added, removed);
        });
  }

  SessionRow session(String sessionId) {
    return one(SESSION_COLUMNS + " WHERE session_id = ?", SandboxTables::sessionRow, sessionId);
  }

  List<SessionRow> sessions() {
    return list(SESSION_COLUMNS + " ORDER BY created_at, session_id", SandboxTables::sessionRow);
  }

  SessionView sessionView(String sessionId) {
    SessionRow s = session(sessionId);
    return s == null ? null : view(s);
  }

  List<SessionView> sessionViews() {
    List<SessionView> out = new ArrayList<>();
    sessions().forEach(s -> out.add(view(s)));
    return out;
  }

  SessionDetail sessionDetail(String sessionId) {
    SessionRow s = session(sessionId);
    if (s == null) {
      return null;
    }
    return new SessionDetail(view(s), transcriptAfter(sessionId, 0));
  }

  /** The session's transcript entries numbered above {@code afterIndex}, in order. */
  List<TranscriptEntry> transcriptAfter(String sessionId, long afterIndex) {
    return list(
        "SELECT event_index, session_id, turn_id, sender, kind, payload_json, created_at"
            + " FROM transcript WHERE session_id = ? AND event_index > ? ORDER BY event_index",
        rs ->
            new TranscriptEntry(
                rs.getLong(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                parse(rs.getString(6), new TypeReference<JsonNode>() {}),
                rs.getLong(7)),
        sessionId,
        afterIndex);
  }

  /** The highest entry number of the session's transcript (0 when empty). */
  long transcriptSize(String sessionId) {
    Long n =
        one(
            "SELECT COALESCE(MAX(event_index), 0) FROM transcript WHERE session_id = ?",
            rs -> rs.getLong(1),
            sessionId);
    return n == null ? 0 : n;
  }

  List<ProcessRecord> processes() {
    return list(
        "SELECT process_id, command, args_json, cwd, started_at, stopped_at FROM processes"
            + " ORDER BY started_at, process_id",
        rs ->
            new ProcessRecord(
                rs.getString(1),
                rs.getString(2),
                parse(rs.getString(3), new TypeReference<List<String>>() {}),
                rs.getString(4),
                rs.getLong(5),
                nullableLong(rs, 6)));
  }

  // SQL plumbing
  // -----------------------------------------------------------------------------------

  private static final String SESSION_COLUMNS =
      "SELECT session_id, agent, model, cwd, status, turn_id, error_message, created_at,"
          + " updated_at FROM sessions";

  private static SessionRow sessionRow(ResultSet rs) throws SQLException {
    return new SessionRow(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getString(6),
        rs.getString(7),
        rs.getLong(8),
        rs.getLong(9));
  }

  private static SessionView view(SessionRow s) {
    return new SessionView(
        s.sessionId(),
        s.agent(),
        s.model(),
        s.status(),
        s.turnId(),
        s.errorMessage(),
        s.createdAt(),
        s.updatedAt());
  }

  private static Long nullableLong(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }

  @FunctionalInterface
  private interface RowMapper<R> {
    R map(ResultSet rs) throws SQLException;
  }

  private void update(String sql, Object... args) throws SQLException {
    try (PreparedStatement s = db.prepareStatement(sql)) {
      bind(s, args);
      s.executeUpdate();
    }
  }

  private <R> R one(String sql, RowMapper<R> mapper, Object... args) {
    List<R> rows = list(sql, mapper, args);
    return rows.isEmpty() ? null : rows.get(0);
  }

  private <R> List<R> list(String sql, RowMapper<R> mapper, Object... args) {
    try (PreparedStatement s = db.prepareStatement(sql)) {
      bind(s, args);
      try (ResultSet rs = s.executeQuery()) {
        List<R> out = new ArrayList<>();
        while (rs.next()) {
          out.add(mapper.map(rs));
        }
        return out;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void bind(PreparedStatement s, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      s.setObject(i + 1, args[i]);
    }
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static <V> V parse(String json, TypeReference<V> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "unreadable JSON in the sandbox tables: " + e.getMessage(), e);
    }
  }
}
