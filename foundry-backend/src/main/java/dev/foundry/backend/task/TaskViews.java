package dev.foundry.backend.task;

import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceComposerDraft;
import dev.foundry.shared.workspace.WorkspaceModels;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import dev.foundry.shared.workspace.WorkspaceTranscriptEvent;
import java.util.List;

/**
 * The task's rows as the tables read them, and the views built from them without SQL: a session's
 * summary and detail, the task's summary, and one user's view of the task.
 */
final class TaskViews {
  private TaskViews() {}

  /**
   * One row of {@code task}, read as a whole by the tables; its column {@code task} holds the
   * prompt.
   */
  record TaskRow(
      String repoRemote,
      String repoName,
      String branchName,
      String title,
      String prompt,
      String sandboxProviderId,
      TaskStatus status,
      WorkspacePullRequestSummary pullRequest,
      long createdAt,
      long updatedAt) {}

  /** One row of {@code task_workspace_sessions}, as the tables read it. */
  record SessionRow(
      String id,
      String sandboxSessionId,
      String name,
      String model,
      WorkspaceSessionStatus status,
      String errorMessage,
      boolean created,
      Long thinkingSinceMs,
      String agent) {

    /**
     * The agent shown: the one that runs the session once it is known ({@code Offline} for the
     * offline agent), before that the model's.
     */
    String agentLabel() {
      if (agent == null) {
        return WorkspaceModels.agentForModel(model);
      }
      return switch (agent) {
        case "claude" -> "Claude";
        case "codex" -> "Codex";
        case SandboxProtocol.DEFAULT_AGENT -> "Offline";
        default -> agent;
      };
    }

    /** A ready session with its agent session is shown idle, one with a turn running. */
    WorkspaceSessionSummary summary() {
      WorkspaceSessionStatus shown =
          thinkingSinceMs != null
              ? WorkspaceSessionStatus.RUNNING
              : status == WorkspaceSessionStatus.READY && sandboxSessionId != null
                  ? WorkspaceSessionStatus.IDLE
                  : status;
      return new WorkspaceSessionSummary(
          id,
          id,
          status == WorkspaceSessionStatus.READY ? sandboxSessionId : null,
          name,
          agentLabel(),
          model,
          shown,
          thinkingSinceMs,
          false,
          created,
          errorMessage);
    }

    /** The session's metadata, without a user's draft and without its transcript. */
    WorkspaceSessionDetail detail() {
      WorkspaceSessionSummary summary = summary();
      return new WorkspaceSessionDetail(
          summary.sessionId(),
          summary.sandboxSessionId(),
          summary.sessionName(),
          summary.agent(),
          summary.model(),
          summary.status(),
          summary.thinkingSinceMs(),
          false,
          summary.created(),
          summary.errorMessage(),
          WorkspaceComposerDraft.EMPTY,
          List.of());
    }

    TaskStatusRule.OpenSession rule() {
      return new TaskStatusRule.OpenSession(id, thinkingSinceMs != null, status);
    }
  }

  static WorkspaceTaskSummary summaryOf(WorkspaceTaskDetail d) {
    return new WorkspaceTaskSummary(
        d.id(),
        d.repoId(),
        d.title(),
        d.status(),
        d.repoName(),
        d.updatedAtMs(),
        d.branch(),
        d.pullRequest(),
        d.activeSessionId(),
        d.sessionsSummary(),
        d.primaryUserLogin(),
        d.primaryUserAvatarUrl());
  }

  static WorkspaceTaskDetail forUser(WorkspaceTaskDetail d, UserTaskState state) {
    List<WorkspaceSessionSummary> sessions =
        d.sessionsSummary().stream().map(s -> withUnread(s, state)).toList();
    String selected = state.activeSessionId();
    String active =
        selected != null && sessions.stream().anyMatch(s -> s.id().equals(selected))
            ? selected
            : sessions.isEmpty() ? null : sessions.get(sessions.size() - 1).id();
    return new WorkspaceTaskDetail(
        d.id(),
        d.repoId(),
        d.title(),
        d.status(),
        d.repoName(),
        d.updatedAtMs(),
        d.branch(),
        d.pullRequest(),
        active,
        sessions,
        d.primaryUserLogin(),
        d.primaryUserAvatarUrl(),
        d.task(),
        d.fileChanges(),
        d.diffs(),
        d.fileTree(),
        d.minutesUsed(),
        d.sandboxes(),
        d.activeSandboxId());
  }

  /** {@code d} with the sandbox's transcript entries as the wire's transcript events. */
  static WorkspaceSessionDetail withTranscript(
      WorkspaceSessionDetail d, List<SandboxProtocol.TranscriptEntry> entries) {
    List<WorkspaceTranscriptEvent> transcript =
        entries.stream().map(SandboxProtocol.TranscriptEntry::toWire).toList();
    return new WorkspaceSessionDetail(
        d.sessionId(),
        d.sandboxSessionId(),
        d.sessionName(),
        d.agent(),
        d.model(),
        d.status(),
        d.thinkingSinceMs(),
        d.unread(),
        d.created(),
        d.errorMessage(),
        d.draft(),
        transcript);
  }

  static WorkspaceSessionDetail forUser(WorkspaceSessionDetail d, UserTaskState state) {
    UserTaskState.SessionState mine = state.session(d.sessionId());
    return new WorkspaceSessionDetail(
        d.sessionId(),
        d.sandboxSessionId(),
        d.sessionName(),
        d.agent(),
        d.model(),
        d.status(),
        d.thinkingSinceMs(),
        mine != null && mine.unread(),
        d.created(),
        d.errorMessage(),
        mine == null ? WorkspaceComposerDraft.EMPTY : mine.draft(),
        d.transcript());
  }

  private static WorkspaceSessionSummary withUnread(
      WorkspaceSessionSummary s, UserTaskState state) {
    UserTaskState.SessionState mine = state.session(s.id());
    return new WorkspaceSessionSummary(
        s.id(),
        s.sessionId(),
        s.sandboxSessionId(),
        s.sessionName(),
        s.agent(),
        s.model(),
        s.status(),
        s.thinkingSinceMs(),
        mine != null && mine.unread(),
        s.created(),
        s.errorMessage());
  }
}
