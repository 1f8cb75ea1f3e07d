package dev.foundry.backend.task;

import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import java.util.List;

/**
 * How a task's status follows from its open sessions (spec §5.1): while it initializes or once it
 * is archived or killed the stored status stands; otherwise a running session makes it running, a
 * session in error makes it error, and it is idle. Domain, not SQL: the tables read the sessions,
 * this rule decides.
 */
final class TaskStatusRule {
  private TaskStatusRule() {}

  /** What the rule needs of one open session. */
  record OpenSession(String sessionId, boolean thinking, WorkspaceSessionStatus status) {}

  static TaskStatus derive(TaskStatus stored, List<OpenSession> openSessions) {
    if (stored.initializing() || stored.finished()) {
      return stored;
    }
    if (openSessions.stream().anyMatch(OpenSession::thinking)) {
      return TaskStatus.RUNNING;
    }
    if (openSessions.stream().anyMatch(s -> s.status() == WorkspaceSessionStatus.ERROR)) {
      return TaskStatus.ERROR;
    }
    return TaskStatus.IDLE;
  }

  /** The status if {@code sessionId} had these values: decided before the events that set them. */
  static TaskStatus deriveWith(
      TaskStatus stored,
      List<OpenSession> openSessions,
      String sessionId,
      boolean thinking,
      WorkspaceSessionStatus status) {
    return derive(
        stored,
        openSessions.stream()
            .map(
                s ->
                    s.sessionId().equals(sessionId)
                        ? new OpenSession(sessionId, thinking, status)
                        : s)
            .toList());
  }
}
