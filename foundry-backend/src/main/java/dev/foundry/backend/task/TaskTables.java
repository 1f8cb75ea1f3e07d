package dev.foundry.backend.task;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.runtime.ActorTables;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.task.TaskStatusRule.OpenSession;
import dev.foundry.backend.task.TaskViews.SessionRow;
import dev.foundry.backend.task.TaskViews.TaskRow;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskSandboxRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceFileChange;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceSandboxSummary;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The task actor's tables: the task row, its runtime, sandboxes, sessions and owner. */
public final class TaskTables extends ActorTables<TaskEvents.Event> {

  /** The last detail read ({@link #requireDetail}), and {@link #changes()} when it was read. */
  private WorkspaceTaskDetail detail;

  private long detailAt = -1;

  /**
   * The last task row read ({@link #row}, null before initialization), and {@link #changes()} when
   * it was read: every command's guard reads it, most twice (initialized, then live).
   */
  private TaskRow row;

  private long rowAt = -1;

  TaskTables(Connection db) {
    super(db);
    on(TaskEvents.TaskInitialized.class, this::taskInitialized);
    on(TaskEvents.StatusChanged.class, this::statusChanged);
    on(TaskEvents.TitleChanged.class, this::titleChanged);
    on(TaskEvents.OwnerChanged.class, this::ownerChanged);
    on(TaskEvents.PullRequestSynced.class, this::pullRequestSynced);
    on(TaskEvents.SessionCreated.class, this::sessionCreated);
    on(TaskEvents.SessionRenamed.class, this::sessionRenamed);
    on(TaskEvents.SessionModelChanged.class, this::sessionModelChanged);
    on(
        TaskEvents.SessionAgentRecorded.class,
        e -> updateSession(e.sessionId(), "agent", e.agent(), e.at()));
    on(TaskEvents.SessionClosed.class, this::sessionClosed);
    on(TaskEvents.SandboxAttached.class, this::sandboxAttached);
    on(TaskEvents.SessionReady.class, this::sessionReady);
    on(TaskEvents.GitStateSynced.class, this::gitStateSynced);
    on(TaskEvents.SessionStatusSynced.class, this::sessionStatusSynced);
    // They change no table: the audit log and the user actor hear of them (TaskOutbox).
    ignore(TaskEvents.LifecycleRecorded.class);
    ignore(TaskEvents.MessageSent.class);
  }

  // --- appliers ------------------------------------------------------------------------------

  private void taskInitialized(TaskEvents.TaskInitialized e) throws SQLException {
    exec(
        "INSERT INTO task (id, repo_remote, repo_name, branch_name, title, task,"
            + " sandbox_provider_id, status, pull_request_json, created_at, updated_at, model)"
            + " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e.repoRemote(),
        e.repoName(),
        e.branchName(),
        e.title(),
        e.task(),
        e.sandboxProviderId(),
        e.status().wire(),
        jsonOrNull(e.pullRequest()),
        e.at(),
        e.at(),
        e.model());
    exec("INSERT INTO task_runtime (id, updated_at) VALUES (1, ?)", e.at());
    if (e.owner() != null) {
      writeOwner(e.owner(), e.at());
    }
  }

  private void statusChanged(TaskEvents.StatusChanged e) throws SQLException {
    exec("UPDATE task SET status = ?, updated_at = ? WHERE id = 1", e.status().wire(), e.at());
  }

  private void titleChanged(TaskEvents.TitleChanged e) throws SQLException {
    exec("UPDATE task SET title = ?, updated_at = ? WHERE id = 1", e.title(), e.at());
  }

  private void ownerChanged(TaskEvents.OwnerChanged e) throws SQLException {
    writeOwner(e.owner(), e.at());
    touch(e.at());
  }

  private void pullRequestSynced(TaskEvents.PullRequestSynced e) throws SQLException {
    long at =
        e.pullRequest() != null && e.pullRequest().updatedAtMs() != null
            ? e.pullRequest().updatedAtMs()
            : e.at();
    exec(
        "UPDATE task SET pull_request_json = ?, updated_at = ? WHERE id = 1",
        jsonOrNull(e.pullRequest()),
        at);
  }

  private void sessionCreated(TaskEvents.SessionCreated e) throws SQLException {
    exec(
        "INSERT INTO task_workspace_sessions (session_id, ordinal, session_name, model, status,"
            + " created_at, updated_at) VALUES (?, (SELECT COUNT(*) + 1 FROM"
            + " task_workspace_sessions), ?, ?, ?, ?, ?)",
        e.sessionId(),
        e.sessionName(),
        e.model(),
        e.status().wire(),
        e.at(),
        e.at());
    touch(e.at());
  }

  private void sessionRenamed(TaskEvents.SessionRenamed e) throws SQLException {
    updateSession(e.sessionId(), "session_name", e.sessionName(), e.at());
  }

  private void sessionModelChanged(TaskEvents.SessionModelChanged e) throws SQLException {
    updateSession(e.sessionId(), "model", e.model(), e.at());
  }

  private void sessionClosed(TaskEvents.SessionClosed e) throws SQLException {
    updateSession(e.sessionId(), "closed", 1, e.at());
  }

  /** Sets one column of a session ({@code column} is a constant of this class, never input). */
  private void updateSession(String sessionId, String column, Object value, long at)
      throws SQLException {
    exec(
        "UPDATE task_workspace_sessions SET "
            + column
            + " = ?, updated_at = ? WHERE session_id = ?",
        value,
        at,
        sessionId);
    touch(at);
  }

  private void sandboxAttached(TaskEvents.SandboxAttached e) throws SQLException {
    exec(
        "INSERT INTO task_sandboxes (sandbox_id, sandbox_provider_id, switch_target, cwd,"
            + " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sandbox_id) DO"
            + " UPDATE SET switch_target = excluded.switch_target, cwd = excluded.cwd,"
            + " updated_at = excluded.updated_at",
        e.sandboxId(),
        e.providerId(),
        e.switchTarget(),
        e.cwd(),
        e.at(),
        e.at());
    exec(
        "UPDATE task_runtime SET active_sandbox_id = ?, active_switch_target = ?,"
            + " active_cwd = ?, updated_at = ? WHERE id = 1",
        e.sandboxId(),
        e.switchTarget(),
        e.cwd(),
        e.at());
    touch(e.at());
  }

  private void sessionReady(TaskEvents.SessionReady e) throws SQLException {
    exec(
        "UPDATE task_workspace_sessions SET sandbox_session_id = ?, status = ?,"
            + " error_message = NULL, updated_at = ? WHERE session_id = ?",
        e.sandboxSessionId(),
        WorkspaceSessionStatus.READY.wire(),
        e.at(),
        e.sessionId());
    touch(e.at());
  }

  private void gitStateSynced(TaskEvents.GitStateSynced e) throws SQLException {
    exec(
        "INSERT OR REPLACE INTO task_git_state (id, branch, ahead, behind, file_changes_json,"
            + " refreshed_at) VALUES (1, ?, ?, ?, ?, ?)",
        e.branch(),
        e.ahead(),
        e.behind(),
        jsonOrNull(e.fileChanges()),
        e.at());
    touch(e.at());
  }

  private void sessionStatusSynced(TaskEvents.SessionStatusSynced e) throws SQLException {
    exec(
        "UPDATE task_workspace_sessions SET thinking_since_ms = ?, status = ?,"
            + " error_message = ?, created = CASE WHEN ? IS NOT NULL THEN 1 ELSE created END,"
            + " updated_at = ? WHERE session_id = ?",
        e.thinkingSinceMs(),
        e.status().wire(),
        e.errorMessage(),
        e.thinkingSinceMs(),
        e.at(),
        e.sessionId());
    touch(e.at());
  }

  private void writeOwner(TaskOwner owner, long at) throws SQLException {
    exec(
        "INSERT INTO task_owner (id, primary_user_id, primary_github_login, primary_github_email,"
            + " primary_github_avatar_url, updated_at) VALUES (1, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (id) DO UPDATE SET primary_user_id = excluded.primary_user_id,"
            + " primary_github_login = excluded.primary_github_login,"
            + " primary_github_email = excluded.primary_github_email,"
            + " primary_github_avatar_url = excluded.primary_github_avatar_url,"
            + " updated_at = excluded.updated_at",
        owner.userId(),
        owner.login(),
        owner.email(),
        owner.avatarUrl(),
        at);
  }

  private void touch(long at) throws SQLException {
    exec("UPDATE task SET updated_at = MAX(updated_at, ?) WHERE id = 1", at);
  }

  // --- reads ---------------------------------------------------------------------------------

  boolean initialized() {
    return row() != null;
  }

  TaskStatus status() {
    return row().status();
  }

  String sandboxProviderId() {
    return row().sandboxProviderId();
  }

  String branchName() {
    TaskRow r = row();
    return r == null ? null : r.branchName();
  }

  /** The model the task was created with; null for the owner's default. */
  String model() {
    return one("SELECT model FROM task WHERE id = 1", rs -> rs.getString(1));
  }

  String repoRemote() {
    return row().repoRemote();
  }

  /** The task's prompt: the first message of its first session. */
  String prompt() {
    return row().prompt();
  }

  /** The primary user, whose credentials the sandbox uses; null when the task has none. */
  TaskOwner owner() {
    TaskOwner owner = ownerRow();
    return owner == null || owner.userId() == null ? null : owner;
  }

  private TaskOwner ownerRow() {
    return one(
        "SELECT primary_user_id, primary_github_login, primary_github_email,"
            + " primary_github_avatar_url FROM task_owner WHERE id = 1",
        rs -> new TaskOwner(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
  }

  /** The changed files its sandbox last reported (empty before the first report). */
  List<WorkspaceFileChange> fileChanges() {
    String json =
        one("SELECT file_changes_json FROM task_git_state WHERE id = 1", rs -> rs.getString(1));
    return json == null
        ? List.of()
        : fromJson(json, new TypeReference<List<WorkspaceFileChange>>() {});
  }

  /** The URL of the task's sandbox (column {@code active_switch_target}); null before one. */
  String sandboxUrl() {
    return one("SELECT active_switch_target FROM task_runtime WHERE id = 1", rs -> rs.getString(1));
  }

  int sessionCount() {
    return rows("SELECT COUNT(*) FROM task_workspace_sessions", rs -> rs.getInt(1)).get(0);
  }

  List<String> openSessionIds() {
    return rows(
        "SELECT session_id FROM task_workspace_sessions WHERE closed = 0 ORDER BY ordinal",
        rs -> rs.getString(1));
  }

  String latestOpenSessionId() {
    List<String> open = openSessionIds();
    return open.isEmpty() ? null : open.get(open.size() - 1);
  }

  /** Whether the session has its agent session in the sandbox. */
  boolean sessionReady(String sessionId) {
    return sessions(true).stream()
        .anyMatch(x -> x.id().equals(sessionId) && x.sandboxSessionId() != null);
  }

  boolean sessionOpen(String sessionId) {
    return openSessionIds().contains(sessionId);
  }

  WorkspaceSessionSummary sessionSummary(String sessionId) {
    return sessions(false).stream()
        .filter(s -> s.id().equals(sessionId))
        .map(SessionRow::summary)
        .findFirst()
        .orElse(null);
  }

  /** The open sessions as the status rule sees them. */
  List<OpenSession> openSessions() {
    return sessions(true).stream().map(SessionRow::rule).toList();
  }

  TaskRecord requireRecord(String organizationId, String repoId, String taskId) {
    TaskRow r = requireRow(taskId);
    return new TaskRecord(
        organizationId,
        repoId,
        r.repoRemote(),
        taskId,
        r.branchName(),
        r.title(),
        r.prompt(),
        r.sandboxProviderId(),
        r.status(),
        activeSandboxId(),
        r.pullRequest(),
        sandboxes(),
        r.createdAt(),
        r.updatedAt());
  }

  /**
   * The task's detail, read again only when the tables changed since the last read: one command
   * answers it, broadcasts it and sends its summary to the organization, three reads of six queries
   * each. The detail is immutable, so giving the same one again is safe.
   */
  WorkspaceTaskDetail requireDetail(String taskId, String repoId) {
    long now = changes();
    if (now < 0
        || detailAt != now
        || !detail.id().equals(taskId)
        || !Objects.equals(detail.repoId(), repoId)) {
      detail = readDetail(taskId, repoId);
      detailAt = now;
    }
    return detail;
  }

  private WorkspaceTaskDetail readDetail(String taskId, String repoId) {
    TaskRow r = requireRow(taskId);
    List<SessionRow> open = sessions(true);
    TaskOwner owner = ownerRow();
    return new WorkspaceTaskDetail(
        taskId,
        repoId,
        r.title() == null ? "New Task" : r.title(),
        TaskStatusRule.derive(r.status(), open.stream().map(SessionRow::rule).toList()),
        r.repoName(),
        r.updatedAt(),
        r.branchName(),
        r.pullRequest(),
        null,
        open.stream().map(SessionRow::summary).toList(),
        owner == null ? null : owner.login(),
        owner == null || blank(owner.avatarUrl()) ? null : owner.avatarUrl(),
        r.prompt(),
        List.copyOf(fileChanges()),
        Map.of(),
        List.of(),
        0,
        sandboxes().stream()
            .map(
                x ->
                    new WorkspaceSandboxSummary(
                        x.sandboxProviderId(), x.sandboxId(), x.cwd(), null))
            .toList(),
        activeSandboxId());
  }

  WorkspaceSessionDetail requireSessionDetail(String sessionId) {
    return sessions(true).stream()
        .filter(x -> x.id().equals(sessionId))
        .findFirst()
        .orElseThrow(
            () ->
                new CommandRejectedException(
                    null, "session_not_found", "no open session " + sessionId))
        .detail();
  }

  /** Every sandbox the task used, oldest first. */
  private List<TaskSandboxRecord> sandboxes() {
    return rows(
        "SELECT sandbox_id, sandbox_provider_id, switch_target, cwd, created_at, updated_at"
            + " FROM task_sandboxes ORDER BY created_at",
        rs ->
            new TaskSandboxRecord(
                rs.getString(1),
                rs.getString(2),
                null,
                rs.getString(3),
                rs.getString(4),
                rs.getLong(5),
                rs.getLong(6)));
  }

  private String activeSandboxId() {
    return one("SELECT active_sandbox_id FROM task_runtime WHERE id = 1", rs -> rs.getString(1));
  }

  private List<SessionRow> sessions(boolean openOnly) {
    return rows(
        "SELECT session_id, sandbox_session_id, session_name, model, status, error_message,"
            + " created, thinking_since_ms, agent FROM task_workspace_sessions"
            + (openOnly ? " WHERE closed = 0" : "")
            + " ORDER BY ordinal",
        rs -> {
          long thinking = rs.getLong(8);
          Long thinkingSince = rs.wasNull() ? null : thinking;
          return new SessionRow(
              rs.getString(1),
              rs.getString(2),
              rs.getString(3),
              rs.getString(4),
              WorkspaceSessionStatus.fromWire(rs.getString(5)),
              rs.getString(6),
              rs.getInt(7) == 1,
              thinkingSince,
              rs.getString(9));
        });
  }

  /** The agent recorded for a session (null: none yet, or no such session). */
  String sessionAgent(String sessionId) {
    return one(
        "SELECT agent FROM task_workspace_sessions WHERE session_id = ?",
        rs -> rs.getString(1),
        sessionId);
  }

  private TaskRow requireRow(String taskId) {
    TaskRow r = row();
    if (r == null) {
      throw new CommandRejectedException(
          null, "task_not_found", "task " + taskId + " does not exist");
    }
    return r;
  }

  private TaskRow row() {
    long now = changes();
    if (now < 0 || rowAt != now) {
      row = readRow();
      rowAt = now;
    }
    return row;
  }

  private TaskRow readRow() {
    return one(
        "SELECT repo_remote, repo_name, branch_name, title, task, sandbox_provider_id, status,"
            + " pull_request_json, created_at, updated_at FROM task WHERE id = 1",
        rs ->
            new TaskRow(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                TaskStatus.fromWire(rs.getString(7)),
                fromJson(rs.getString(8), WorkspacePullRequestSummary.class),
                rs.getLong(9),
                rs.getLong(10)));
  }

  private static boolean blank(String s) {
    return s == null || s.isEmpty();
  }
}
