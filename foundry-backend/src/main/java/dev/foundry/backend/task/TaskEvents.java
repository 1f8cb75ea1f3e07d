package dev.foundry.backend.task;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceFileChange;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import java.util.List;
import java.util.Map;

/**
 * The task actor's events: what its journal holds, private to the task (no other actor reads them).
 * Their {@code @JsonTypeName}s are the names on disk and never change; the records may move between
 * files freely. {@link TaskTables} registers one applier per event class.
 */
public final class TaskEvents {
  private TaskEvents() {}

  public sealed interface Event extends DurableEvent {}

  /** {@code task} is the user's prompt (the persisted field name stays). */
  @JsonTypeName("task.initialized")
  public record TaskInitialized(
      String repoRemote,
      String repoName,
      String branchName,
      String title,
      String task,
      String sandboxProviderId,
      TaskOwner owner,
      WorkspacePullRequestSummary pullRequest,
      TaskStatus status,
      long at,
      String model)
      implements Event {}

  @JsonTypeName("task.status-changed")
  public record StatusChanged(TaskStatus status, long at) implements Event {}

  /** Something to record in the organization's audit log ({@code auditKind}, e.g. task.kill). */
  @JsonTypeName("task.lifecycle-recorded")
  public record LifecycleRecorded(
      String auditKind, Map<String, Object> payload, String commandId, long at) implements Event {}

  @JsonTypeName("task.title-changed")
  public record TitleChanged(String title, long at) implements Event {}

  @JsonTypeName("task.owner-changed")
  public record OwnerChanged(TaskOwner owner, long at) implements Event {}

  @JsonTypeName("task.pull-request-synced")
  public record PullRequestSynced(WorkspacePullRequestSummary pullRequest, long at)
      implements Event {}

  @JsonTypeName("task.session-created")
  public record SessionCreated(
      String sessionId,
      String sessionName,
      String model,
      WorkspaceSessionStatus status,
      String createdBy,
      long at)
      implements Event {}

  @JsonTypeName("task.session-renamed")
  public record SessionRenamed(String sessionId, String sessionName, long at) implements Event {}

  /**
   * The sandbox-agent agent that runs the session ({@code claude}, {@code codex}, or {@code mock}:
   * the offline agent when the model's agent cannot run), learned when its sandbox session opens.
   */
  @JsonTypeName("task.session-agent-recorded")
  public record SessionAgentRecorded(String sessionId, String agent, long at) implements Event {}

  @JsonTypeName("task.session-model-changed")
  public record SessionModelChanged(String sessionId, String model, long at) implements Event {}

  @JsonTypeName("task.session-closed")
  public record SessionClosed(String sessionId, String closedBy, String nextSessionId, long at)
      implements Event {}

  /** {@code turnEnded}: the session was running and is not any more (the owner gets it unread). */
  @JsonTypeName("task.session-status-synced")
  public record SessionStatusSynced(
      String sessionId,
      Long thinkingSinceMs,
      WorkspaceSessionStatus status,
      String errorMessage,
      long at,
      boolean turnEnded)
      implements Event {}

  /** A message went to the session's agent as turn {@code turnId}. */
  @JsonTypeName("task.message-sent")
  public record MessageSent(String sessionId, String userId, String turnId, long at)
      implements Event {}

  /**
   * The task's sandbox is provisioned, its repository cloned at {@code cwd}; {@code switchTarget}
   * is the sandbox's URL (the persisted field name stays).
   */
  @JsonTypeName("task.sandbox-attached")
  public record SandboxAttached(
      String sandboxId, String providerId, String switchTarget, String cwd, long at)
      implements Event {}

  /** The session has an agent session in the sandbox and can take messages. */
  @JsonTypeName("task.session-ready")
  public record SessionReady(String sessionId, String sandboxSessionId, long at) implements Event {}

  @JsonTypeName("task.git-state-synced")
  public record GitStateSynced(
      String branch, int ahead, int behind, List<WorkspaceFileChange> fileChanges, long at)
      implements Event {}
}
