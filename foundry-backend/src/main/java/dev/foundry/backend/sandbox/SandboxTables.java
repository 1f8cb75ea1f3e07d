package dev.foundry.backend.sandbox;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.protocol.SandboxProtocol.SessionDetail;
import dev.foundry.backend.protocol.SandboxProtocol.SessionView;
import dev.foundry.backend.protocol.SandboxProtocol.TranscriptEntry;
import dev.foundry.backend.runtime.ActorTables;
import dev.foundry.backend.sandbox.SandboxEvents.AgentKeysReplaced;
import dev.foundry.backend.sandbox.SandboxEvents.BranchMerged;
import dev.foundry.backend.sandbox.SandboxEvents.BranchPushed;
import dev.foundry.backend.sandbox.SandboxEvents.BranchSynced;
import dev.foundry.backend.sandbox.SandboxEvents.Event;
import dev.foundry.backend.sandbox.SandboxEvents.FileReverted;
import dev.foundry.backend.sandbox.SandboxEvents.GitCredentialsStored;
import dev.foundry.backend.sandbox.SandboxEvents.GitStateRefreshed;
import dev.foundry.backend.sandbox.SandboxEvents.ProcessStarted;
import dev.foundry.backend.sandbox.SandboxEvents.ProcessStopped;
import dev.foundry.backend.sandbox.SandboxEvents.RepositoryCloned;
import dev.foundry.backend.sandbox.SandboxEvents.SandboxDestroyed;
import dev.foundry.backend.sandbox.SandboxEvents.SandboxProvisioned;
import dev.foundry.backend.sandbox.SandboxEvents.SandboxReattached;
import dev.foundry.backend.sandbox.SandboxEvents.SessionCreated;
import dev.foundry.backend.sandbox.SandboxEvents.SessionModelChanged;
import dev.foundry.backend.sandbox.SandboxEvents.SessionStatusChanged;
import dev.foundry.backend.sandbox.SandboxEvents.TranscriptEntryAppended;
import dev.foundry.shared.sandbox.FileChange;
import dev.foundry.shared.sandbox.GitOwner;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.sandbox.ProcessRecord;
import dev.foundry.shared.sandbox.RepositoryView;
import dev.foundry.shared.sandbox.SandboxView;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The sandbox actor's tables: the sandbox, repository, owner, sessions, transcript, processes. */
public final class SandboxTables extends ActorTables<Event> {

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

  SandboxTables(Connection db) {
    super(db);
    on(SandboxProvisioned.class, this::sandboxProvisioned);
    on(SandboxReattached.class, this::sandboxReattached);
    on(AgentKeysReplaced.class, this::agentKeysReplaced);
    on(SandboxDestroyed.class, this::sandboxDestroyed);
    on(RepositoryCloned.class, this::repositoryCloned);
    on(GitCredentialsStored.class, this::gitCredentialsStored);
    on(SessionCreated.class, this::sessionCreated);
    on(SessionStatusChanged.class, this::sessionStatusChanged);
    on(SessionModelChanged.class, this::sessionModelChanged);
    on(TranscriptEntryAppended.class, this::transcriptEntryAppended);
    on(GitStateRefreshed.class, this::gitStateRefreshed);
    on(BranchPushed.class, this::branchPushed);
    on(ProcessStarted.class, this::processStarted);
    on(ProcessStopped.class, this::processStopped);
    // Recorded for the journal's history; the git state that follows them carries their effect.
    ignore(FileReverted.class);
    ignore(BranchSynced.class);
    ignore(BranchMerged.class);
  }

  // Events
  // -----------------------------------------------------------------------------------------

  private void sandboxProvisioned(SandboxProvisioned e) throws SQLException {
    exec(
        "INSERT OR REPLACE INTO sandbox (id, provider_id, sandbox_id, base_url, home_dir,"
            + " work_dir, state, provisioned_at, repo_id, agent_keys_owner)"
            + " VALUES (1, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
        e.providerId(),
        e.sandboxId(),
        e.baseUrl(),
        e.homeDir(),
        e.workDir(),
        e.at(),
        e.repoId(),
        e.agentKeysOwner());
  }

  private void agentKeysReplaced(AgentKeysReplaced e) throws SQLException {
    exec(
        "UPDATE sandbox SET agent_keys_owner = ?, base_url = ? WHERE id = 1",
        e.ownerUserId(),
        e.baseUrl());
  }

  private void sandboxReattached(SandboxReattached e) throws SQLException {
    exec("UPDATE sandbox SET base_url = ?, reattached_at = ? WHERE id = 1", e.baseUrl(), e.at());
  }

  private void sandboxDestroyed(SandboxDestroyed e) throws SQLException {
    exec("UPDATE sandbox SET state = 'destroyed', destroyed_at = ? WHERE id = 1", e.at());
    exec("UPDATE processes SET stopped_at = ? WHERE stopped_at IS NULL", e.at());
  }

  private void repositoryCloned(RepositoryCloned e) throws SQLException {
    exec(
        "INSERT OR REPLACE INTO repository (id, remote_url, branch, head_commit, dir, cloned_at)"
            + " VALUES (1, ?, ?, ?, ?, ?)",
        e.remoteUrl(),
        e.branch(),
        e.headCommit(),
        e.dir(),
        e.at());
  }

  private void gitCredentialsStored(GitCredentialsStored e) throws SQLException {
    exec(
        "INSERT OR REPLACE INTO git_owner (id, owner_user_id, login, email, hosts_json,"
            + " stored_at) VALUES (1, ?, ?, ?, ?, ?)",
        e.ownerUserId(),
        e.login(),
        e.email(),
        json(e.hosts()),
        e.at());
  }

  private void sessionCreated(SessionCreated e) throws SQLException {
    exec(
        "INSERT INTO sessions (session_id, agent, model, cwd, status, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, 'idle', ?, ?)",
        e.sessionId(),
        e.agent(),
        e.model(),
        e.cwd(),
        e.at(),
        e.at());
  }

  private void sessionStatusChanged(SessionStatusChanged e) throws SQLException {
    exec(
        "UPDATE sessions SET status = ?, turn_id = ?, error_message = ?, updated_at = ?"
            + " WHERE session_id = ?",
        e.status(),
        e.turnId(),
        e.errorMessage(),
        e.at(),
        e.sessionId());
  }

  private void sessionModelChanged(SessionModelChanged e) throws SQLException {
    exec(
        "UPDATE sessions SET model = ?, updated_at = ? WHERE session_id = ?",
        e.model(),
        e.at(),
        e.sessionId());
  }

  private void transcriptEntryAppended(TranscriptEntryAppended e) throws SQLException {
    exec(
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
  }

  private void gitStateRefreshed(GitStateRefreshed e) throws SQLException {
    GitState s = e.state();
    exec(
        "INSERT OR REPLACE INTO git_state (id, branch, ahead, behind, files_json, refreshed_at)"
            + " VALUES (1, ?, ?, ?, ?, ?)",
        s.branch(),
        s.ahead(),
        s.behind(),
        json(s.files()),
        e.at());
  }

  private void branchPushed(BranchPushed e) throws SQLException {
    exec(
        "UPDATE repository SET pushed_branch = ?, pushed_commit = ?, pushed_at = ? WHERE id = 1",
        e.branch(),
        e.headCommit(),
        e.at());
  }

  private void processStarted(ProcessStarted e) throws SQLException {
    exec(
        "INSERT OR REPLACE INTO processes (process_id, command, args_json, cwd, started_at)"
            + " VALUES (?, ?, ?, ?, ?)",
        e.processId(),
        e.command(),
        json(e.args()),
        e.cwd(),
        e.at());
  }

  private void processStopped(ProcessStopped e) throws SQLException {
    exec(
        "UPDATE processes SET stopped_at = ? WHERE process_id = ? AND stopped_at IS NULL",
        e.at(),
        e.processId());
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

  /** Whether the turn's transcript has an entry of {@code kind} (e.g. its {@code turn_ended}). */
  boolean hasEntry(String sessionId, String turnId, String kind) {
    return one(
            "SELECT 1 FROM transcript WHERE session_id = ? AND turn_id = ? AND kind = ? LIMIT 1",
            rs -> rs.getInt(1),
            sessionId,
            turnId,
            kind)
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

  /**
   * The user whose agent keys the server's environment holds: recorded since provisioning, and for
   * a sandbox provisioned before that was recorded, the owner whose git credentials it holds.
   */
  String agentKeysOwner() {
    String recorded =
        one("SELECT agent_keys_owner FROM sandbox WHERE id = 1", rs -> rs.getString(1));
    if (recorded != null) {
      return recorded;
    }
    GitOwner git = gitOwner();
    return git == null ? null : git.ownerUserId();
  }

  GitOwner gitOwner() {
    return one(
        "SELECT owner_user_id, login, email, hosts_json FROM git_owner WHERE id = 1",
        rs ->
            new GitOwner(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                fromJson(rs.getString(4), new TypeReference<List<String>>() {})));
  }

  GitState gitState() {
    return one(
        "SELECT branch, ahead, behind, files_json FROM git_state WHERE id = 1",
        rs -> {
          List<FileChange> files =
              fromJson(rs.getString(4), new TypeReference<List<FileChange>>() {});
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
    return rows(SESSION_COLUMNS + " ORDER BY created_at, session_id", SandboxTables::sessionRow);
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
    return rows(
        "SELECT event_index, session_id, turn_id, sender, kind, payload_json, created_at"
            + " FROM transcript WHERE session_id = ? AND event_index > ? ORDER BY event_index",
        rs ->
            new TranscriptEntry(
                rs.getLong(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                fromJson(rs.getString(6), new TypeReference<JsonNode>() {}),
                rs.getLong(7)),
        sessionId,
        afterIndex);
  }

  /** The highest entry number of the session's transcript (0 when empty). */
  /** Whether a session's turn is running (by the tables: its agent may be gone). */
  boolean anySessionRunning() {
    return one(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE status = 'running')",
            rs -> rs.getBoolean(1))
        == Boolean.TRUE;
  }

  long transcriptSize(String sessionId) {
    Long n =
        one(
            "SELECT COALESCE(MAX(event_index), 0) FROM transcript WHERE session_id = ?",
            rs -> rs.getLong(1),
            sessionId);
    return n == null ? 0 : n;
  }

  List<ProcessRecord> processes() {
    return rows(
        "SELECT process_id, command, args_json, cwd, started_at, stopped_at FROM processes"
            + " ORDER BY started_at, process_id",
        rs ->
            new ProcessRecord(
                rs.getString(1),
                rs.getString(2),
                fromJson(rs.getString(3), new TypeReference<List<String>>() {}),
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
}
