package dev.foundry.backend.task;

import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.GetDetail;
import dev.foundry.backend.protocol.TaskProtocol.GetSessionDetail;
import dev.foundry.backend.protocol.TaskProtocol.TaskAddress;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reads that combine a task with what other actors hold about it: the user's own view (selected
 * session, unread, draft) and the session's transcript from the sandbox. The HTTP layer and the
 * realtime snapshots use them; they never change anything.
 */
public final class TaskReads {
  private TaskReads() {}

  /**
   * The task's detail as {@code userId} sees it: their selected session and unread flags merged
   * from their user actor.
   */
  public static CompletionStage<WorkspaceTaskDetail> detailForUser(
      DurableRuntime runtime, ActorKey taskKey, String userId) {
    return forUser(
        runtime, taskKey, userId, runtime.get(TaskProtocol.TYPE, taskKey).query(new GetDetail()));
  }

  /**
   * {@code detail}, on its way from the task (a read, or the answer of a command that returns it),
   * as {@code userId} sees it; the user's state is read meanwhile.
   */
  public static CompletionStage<WorkspaceTaskDetail> forUser(
      DurableRuntime runtime,
      ActorKey taskKey,
      String userId,
      CompletionStage<WorkspaceTaskDetail> detail) {
    CompletionStage<UserTaskState> state =
        userState(runtime, userId, TaskAddress.of(taskKey).taskId());
    return detail.thenCombine(state, TaskViews::forUser);
  }

  /** One session's detail as {@code userId} sees it: their draft and unread flag. */
  public static CompletionStage<WorkspaceSessionDetail> sessionDetailForUser(
      DurableRuntime runtime, ActorKey taskKey, String sessionId, String userId) {
    String taskId = TaskAddress.of(taskKey).taskId();
    CompletionStage<WorkspaceSessionDetail> detail =
        runtime.get(TaskProtocol.TYPE, taskKey).query(new GetSessionDetail(sessionId));
    CompletionStage<UserTaskState> state = userState(runtime, userId, taskId);
    return detail
        .thenCombine(state, TaskViews::forUser)
        .thenCompose(d -> withTranscript(runtime, taskKey, d));
  }

  /** The session's transcript lives in its sandbox: read it there (empty before the sandbox). */
  private static CompletionStage<WorkspaceSessionDetail> withTranscript(
      DurableRuntime runtime, ActorKey taskKey, WorkspaceSessionDetail d) {
    if (!runtime.runs(SandboxProtocol.TYPE)) {
      return CompletableFuture.completedFuture(d);
    }
    TaskAddress address = TaskAddress.of(taskKey);
    return runtime
        .get(SandboxProtocol.TYPE, SandboxProtocol.key(address.organizationId(), address.taskId()))
        .queryIfExists(new SandboxProtocol.GetSession(d.sessionId()))
        .thenApply(s -> s == null ? d : TaskViews.withTranscript(d, s.transcript()));
  }

  /** The user's state of this task; empty for a user who never touched it (or does not exist). */
  static CompletionStage<UserTaskState> userState(
      DurableRuntime runtime, String userId, String taskId) {
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(userId))
        .queryIfExists(new UserProtocol.GetTaskState(taskId))
        .thenApply(s -> s != null ? s : new UserTaskState(taskId, null, List.of()));
  }

  /** The user's profile; null for a user who has none (yet). */
  static CompletionStage<FoundryUser> userProfile(DurableRuntime runtime, String userId) {
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(userId))
        .queryIfExists(new UserProtocol.GetProfile());
  }
}
