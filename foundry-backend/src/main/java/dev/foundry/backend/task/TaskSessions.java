package dev.foundry.backend.task;

import static dev.foundry.backend.task.TaskScope.blank;

import dev.foundry.backend.protocol.TaskProtocol.ChangeModel;
import dev.foundry.backend.protocol.TaskProtocol.CloseSession;
import dev.foundry.backend.protocol.TaskProtocol.CreateSession;
import dev.foundry.backend.protocol.TaskProtocol.MarkUnread;
import dev.foundry.backend.protocol.TaskProtocol.RenameSession;
import dev.foundry.backend.protocol.TaskProtocol.SelectSession;
import dev.foundry.backend.protocol.TaskProtocol.SetSessionUnread;
import dev.foundry.backend.protocol.TaskProtocol.SyncSessionStatus;
import dev.foundry.backend.protocol.TaskProtocol.UpdateDraft;
import dev.foundry.backend.protocol.UserProtocol.UpsertTaskState;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.task.TaskEvents.Event;
import dev.foundry.backend.task.TaskEvents.SessionClosed;
import dev.foundry.backend.task.TaskEvents.SessionCreated;
import dev.foundry.backend.task.TaskEvents.SessionModelChanged;
import dev.foundry.backend.task.TaskEvents.SessionRenamed;
import dev.foundry.backend.task.TaskEvents.SessionStatusSynced;
import dev.foundry.backend.task.TaskEvents.StatusChanged;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceModels;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * The task's sessions: their metadata (create, rename, model, close), the status their agents
 * report, and each user's own view of them (selected session, unread, draft), which lives on the
 * user's actor. The handlers run behind the guards their registration names (a live task, an open
 * session); messages and stops go through the sandbox ({@link TaskSandbox}).
 */
final class TaskSessions {
  private final TaskScope scope;

  TaskSessions(TaskScope scope) {
    this.scope = scope;
  }

  Decision<String> createSession(CreateSession cmd, TaskTables tables) {
    if (!blank(cmd.model()) || blank(cmd.userId())) {
      return sessionCreated(tables, blank(cmd.model()) ? null : cmd.model().strip(), cmd.userId());
    }
    CompletionStage<String> userModel =
        TaskReads.userProfile(scope.runtime(), cmd.userId())
            .thenApply(p -> p == null ? null : p.defaultModel());
    // Later commands wait for this one, so the task is still live when the profile arrives.
    return Decision.after(userModel, model -> sessionCreated(tables, model, cmd.userId()));
  }

  private Decision<String> sessionCreated(TaskTables tables, String model, String userId) {
    String sessionId = "session-" + UUID.randomUUID();
    WorkspaceSessionStatus status =
        tables.sandboxUrl() == null
            ? WorkspaceSessionStatus.PENDING_PROVISION
            : WorkspaceSessionStatus.PENDING_SESSION_CREATE;
    return Decision.<String>persist(
            new SessionCreated(
                sessionId,
                "Session " + (tables.sessionCount() + 1),
                model == null ? WorkspaceModels.DEFAULT_MODEL_ID : model,
                status,
                userId,
                scope.now()))
        .thenReply(() -> sessionId);
  }

  Decision<WorkspaceSessionSummary> renameSession(RenameSession cmd, TaskTables tables) {
    if (blank(cmd.title())) {
      return Decision.reject("invalid_session_name", "a session name must not be blank");
    }
    return Decision.<WorkspaceSessionSummary>persist(
            new SessionRenamed(cmd.sessionId(), cmd.title().strip(), scope.now()))
        .thenReply(() -> tables.sessionSummary(cmd.sessionId()));
  }

  Decision<WorkspaceSessionSummary> changeModel(ChangeModel cmd, TaskTables tables) {
    if (blank(cmd.model())) {
      return Decision.reject("invalid_model", "a model id must not be blank");
    }
    if (cmd.model().strip().equals(tables.sessionSummary(cmd.sessionId()).model())) {
      return Decision.reply(tables.sessionSummary(cmd.sessionId()));
    }
    return Decision.<WorkspaceSessionSummary>persist(
            new SessionModelChanged(cmd.sessionId(), cmd.model().strip(), scope.now()))
        .thenReply(() -> tables.sessionSummary(cmd.sessionId()));
  }

  Decision<Boolean> closeSession(CloseSession cmd, TaskTables tables) {
    List<String> open = tables.openSessionIds();
    if (open.size() <= 1) {
      return Decision.reply(false); // the last open session stays (upstream: no-op)
    }
    String next = open.stream().filter(id -> !id.equals(cmd.sessionId())).findFirst().orElseThrow();
    return Decision.<Boolean>persist(
            new SessionClosed(cmd.sessionId(), cmd.userId(), next, scope.now()))
        .thenReply(() -> true);
  }

  Decision<UserTaskState> selectSession(SelectSession cmd, TaskTables tables) {
    return perUser(
        cmd.userId(),
        new UpsertTaskState(scope.taskId(), cmd.sessionId(), cmd.sessionId(), null, null, null));
  }

  Decision<UserTaskState> setSessionUnread(SetSessionUnread cmd, TaskTables tables) {
    return perUser(
        cmd.userId(),
        new UpsertTaskState(scope.taskId(), cmd.sessionId(), null, cmd.unread(), null, null));
  }

  Decision<UserTaskState> updateDraft(UpdateDraft cmd, TaskTables tables) {
    return perUser(
        cmd.userId(),
        new UpsertTaskState(
            scope.taskId(),
            cmd.sessionId(),
            null,
            null,
            cmd.text() == null ? "" : cmd.text(),
            cmd.attachments() == null ? List.of() : cmd.attachments()));
  }

  Decision<UserTaskState> markUnread(MarkUnread cmd, TaskTables tables) {
    String latest = tables.latestOpenSessionId();
    if (latest == null) {
      return Decision.reject(
          "session_not_found", "task " + scope.taskId() + " has no open session");
    }
    return perUser(
        cmd.userId(), new UpsertTaskState(scope.taskId(), latest, null, true, null, null));
  }

  /** The session was checked here (guard); the user's own state is written on their actor. */
  private Decision<UserTaskState> perUser(String userId, UpsertTaskState change) {
    if (blank(userId)) {
      return Decision.reject("invalid_user", "per-user task state needs the user's id");
    }
    return Decision.after(scope.user(userId).ask(change), Decision::reply);
  }

  Decision<WorkspaceSessionSummary> syncSessionStatus(SyncSessionStatus cmd, TaskTables tables) {
    WorkspaceSessionSummary current = tables.sessionSummary(cmd.sessionId());
    long at = scope.now();
    Long thinking;
    WorkspaceSessionStatus status;
    switch (cmd.status() == null ? "" : cmd.status()) {
      case "running" -> {
        thinking = current.thinkingSinceMs() != null ? current.thinkingSinceMs() : at;
        status = WorkspaceSessionStatus.READY;
      }
      case "idle" -> {
        thinking = null;
        status = WorkspaceSessionStatus.READY;
      }
      case "error" -> {
        thinking = null;
        status = WorkspaceSessionStatus.ERROR;
      }
      default -> {
        return Decision.reject(
            "invalid_session_status", "status must be running, idle or error: " + cmd.status());
      }
    }
    List<Event> events = new ArrayList<>();
    events.add(
        new SessionStatusSynced(
            cmd.sessionId(),
            thinking,
            status,
            status == WorkspaceSessionStatus.ERROR ? cmd.errorMessage() : null,
            at,
            current.thinkingSinceMs() != null && thinking == null));
    events.addAll(statusFollowing(tables, cmd.sessionId(), thinking != null, status, at));
    return Decision.<WorkspaceSessionSummary>persist(events)
        .thenReply(() -> tables.sessionSummary(cmd.sessionId()));
  }

  /** The task's status change, if any, when {@code sessionId} takes these values. */
  static List<Event> statusFollowing(
      TaskTables tables,
      String sessionId,
      boolean thinking,
      WorkspaceSessionStatus status,
      long at) {
    TaskStatus derived =
        TaskStatusRule.deriveWith(
            tables.status(), tables.openSessions(), sessionId, thinking, status);
    return derived == tables.status() ? List.of() : List.of(new StatusChanged(derived, at));
  }
}
