package dev.foundry.backend.task;

import dev.foundry.backend.protocol.TaskProtocol.SessionCommand;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.shared.contracts.TaskStatus;

/**
 * The task's lifecycle rules, registered once per handler group with {@code on.inState(...)}: a
 * guard answers null to let a command through, or the refusal. Each rule includes the ones before
 * it: initialized, then live (neither archived nor killed), then an open session or an attached
 * sandbox.
 */
final class TaskGuards {
  private final TaskScope scope;

  TaskGuards(TaskScope scope) {
    this.scope = scope;
  }

  /** The task was initialized (archived and killed tasks still answer). */
  Decision<?> initialized(DurableCommand<?> command, TaskTables tables) {
    return tables.initialized()
        ? null
        : Decision.reject("task_not_found", "task " + scope.taskId() + " was never initialized");
  }

  /** The task exists and is neither archived nor killed. */
  Decision<?> live(DurableCommand<?> command, TaskTables tables) {
    Decision<?> refused = initialized(command, tables);
    if (refused != null) {
      return refused;
    }
    TaskStatus status = tables.status();
    if (status == TaskStatus.ARCHIVED) {
      return Decision.reject("task_archived", "task " + scope.taskId() + " is archived");
    }
    if (status == TaskStatus.KILLED) {
      return Decision.reject("task_killed", "task " + scope.taskId() + " was killed");
    }
    return null;
  }

  /** The task is live and the session the command names is open. */
  Decision<?> openSession(DurableCommand<?> command, TaskTables tables) {
    Decision<?> refused = live(command, tables);
    if (refused != null) {
      return refused;
    }
    String sessionId = ((SessionCommand<?>) command).sessionId();
    if (sessionId == null || !tables.sessionOpen(sessionId)) {
      return Decision.reject(
          "session_not_found", "task " + scope.taskId() + " has no open session " + sessionId);
    }
    return null;
  }

  /** The task is live and its sandbox is provisioned (git work and file reverts need it). */
  Decision<?> sandboxAttached(DurableCommand<?> command, TaskTables tables) {
    Decision<?> refused = live(command, tables);
    if (refused != null) {
      return refused;
    }
    if (tables.sandboxUrl() == null || !scope.runsSandboxes()) {
      return Decision.reject(
          "no_active_sandbox",
          "task " + scope.taskId() + " has no sandbox yet; send it a message first");
    }
    return null;
  }
}
