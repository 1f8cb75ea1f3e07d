package dev.foundry.backend.protocol;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorType;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.contracts.AttachResult;
import dev.foundry.shared.contracts.SwitchResult;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.workspace.WorkspaceFileChange;
import dev.foundry.shared.workspace.WorkspaceLineAttachment;
import dev.foundry.shared.workspace.WorkspaceModels;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.time.Duration;
import java.util.List;

/** How other actors and the HTTP layer talk to a task: its commands, queries and address. */
public final class TaskProtocol {
  private TaskProtocol() {}

  /** The persisted name {@code "task"} and the command root: how callers address a task. */
  public static final ActorType<Command<?>> TYPE = ActorType.of("task", Command.class);

  /**
   * How long a caller waits for work that may provision the sandbox first (a message) or run git
   * against a remote (push, sync, merge); past it the caller gets a timeout and the work goes on.
   */
  public static final Duration GIT_TIMEOUT = Duration.ofMinutes(2);

  /** One task: one branch of one repository of an organization. */
  public record TaskAddress(String organizationId, String repoId, String taskId) {
    public ActorKey key() {
      return ActorKey.of("org", organizationId, "task", repoId, taskId);
    }

    public static TaskAddress of(ActorKey key) {
      List<String> s = key.segments();
      return new TaskAddress(s.get(1), s.get(3), s.get(4));
    }
  }

  public static ActorKey key(String organizationId, String repoId, String taskId) {
    return new TaskAddress(organizationId, repoId, taskId).key();
  }

  // 2. Commands -------------------------------------------------------------------------------

  public sealed interface Command<R> extends DurableCommand<R> {}

  /**
   * A command about one session of the task: the task refuses it unless that session is open. (Only
   * an interface: it adds nothing to the commands' JSON.)
   */
  public sealed interface SessionCommand<R> extends Command<R> {
    String sessionId();
  }

  /**
   * Creates the task's rows; sent by its organization only (create or materialize). {@code task} is
   * the user's prompt (the persisted field name stays). Idempotent: on a task that exists it
   * answers the task's record and changes nothing. {@code createdAt} (epoch ms; null: when the task
   * initializes) is the time the organization listed the task with, so the task's first summary
   * equals the one the organization wrote and its first push changes nothing there.
   */
  @JsonTypeName("task.initialize")
  public record Initialize(
      String repoRemote,
      String repoName,
      String branchName,
      String title,
      String task,
      String sandboxProviderId,
      TaskOwner owner,
      WorkspacePullRequestSummary pullRequest,
      String model,
      Long createdAt)
      implements Command<TaskRecord> {

    /** Created when the task initializes. */
    public Initialize(
        String repoRemote,
        String repoName,
        String branchName,
        String title,
        String task,
        String sandboxProviderId,
        TaskOwner owner,
        WorkspacePullRequestSummary pullRequest,
        String model) {
      this(
          repoRemote,
          repoName,
          branchName,
          title,
          task,
          sandboxProviderId,
          owner,
          pullRequest,
          model,
          null);
    }
  }

  /**
   * A new task's status as its summary shows it once its {@link Initialize} is written: on a
   * backend that runs no sandboxes there is nothing to provision, so it is complete with no session
   * yet ({@code idle}); else it waits for its {@link Provision}. The organization lists a new task
   * with it, so the task's first summary equals that listing and its push changes nothing there.
   */
  public static TaskStatus newTaskStatus(DurableRuntime runtime) {
    return runtime.runs(SandboxProtocol.TYPE) ? TaskStatus.INIT_ENQUEUE_PROVISION : TaskStatus.IDLE;
  }

  /** The second step of initialization, self-sent (upstream {@code task.command.provision}). */
  @JsonTypeName("task.provision")
  public record Provision() implements Command<Boolean> {}

  /**
   * A user's message to a session. Completes as soon as the turn has started, with the turn id; the
   * turn's end arrives later as {@link SyncSessionStatus} from the sandbox, so neither queries nor
   * other sessions wait behind it. A sender who is not the owner becomes the owner (spec §5.5).
   */
  @JsonTypeName("task.send-message")
  public record SendMessage(String sessionId, String text, String userId)
      implements SessionCommand<String> {}

  /** Asks the agent to stop the session's running turn; false when nothing was running. */
  @JsonTypeName("task.stop-session")
  public record StopSession(String sessionId) implements SessionCommand<Boolean> {}

  /** The derived git state its sandbox reports after a turn, revert, push, sync or merge. */
  @JsonTypeName("task.sync-git-state")
  public record SyncGitState(GitState state) implements Command<Boolean> {}

  /** Restores one file of the work tree to the branch's last commit. */
  @JsonTypeName("task.revert-file")
  public record RevertFile(String path) implements Command<List<WorkspaceFileChange>> {}

  // Attach, push, sync, merge, archive and kill: {@code reason} says where the command came from
  // ("api.push"), {@code userId} who acted (null when no user did); both go into the audit entry.

  @JsonTypeName("task.attach")
  public record Attach(String reason, String userId) implements Command<AttachResult> {}

  @JsonTypeName("task.switch")
  public record Switch() implements Command<SwitchResult> {}

  @JsonTypeName("task.push")
  public record Push(String reason, String userId) implements Command<Boolean> {}

  @JsonTypeName("task.sync")
  public record Sync(String reason, String userId) implements Command<Boolean> {}

  @JsonTypeName("task.merge")
  public record Merge(String reason, String userId) implements Command<Boolean> {}

  @JsonTypeName("task.publish-pr")
  public record PublishPr() implements Command<Boolean> {}

  @JsonTypeName("task.archive")
  public record Archive(String reason, String userId) implements Command<Boolean> {}

  @JsonTypeName("task.kill")
  public record Kill(String reason, String userId) implements Command<Boolean> {}

  /** Answers the renamed task's detail, so the caller needs no read after it. */
  @JsonTypeName("task.rename")
  public record Rename(String title) implements Command<WorkspaceTaskDetail> {}

  @JsonTypeName("task.change-owner")
  public record ChangeOwner(TaskOwner owner) implements Command<WorkspaceTaskSummary> {}

  /**
   * Adds a session; answers its id. {@code model} defaults to the user's default model, then to
   * {@link WorkspaceModels#DEFAULT_MODEL_ID}. The creating user's selected session becomes it.
   */
  @JsonTypeName("task.create-session")
  public record CreateSession(String model, String userId) implements Command<String> {}

  @JsonTypeName("task.rename-session")
  public record RenameSession(String sessionId, String title)
      implements SessionCommand<WorkspaceSessionSummary> {}

  @JsonTypeName("task.change-model")
  public record ChangeModel(String sessionId, String model)
      implements SessionCommand<WorkspaceSessionSummary> {}

  /** Closes a session (not the last open one); the user's selection moves to another. */
  @JsonTypeName("task.close-session")
  public record CloseSession(String sessionId, String userId) implements SessionCommand<Boolean> {}

  /** Per-user: selects a session for {@code userId} (written to their user actor). */
  @JsonTypeName("task.select-session")
  public record SelectSession(String sessionId, String userId)
      implements SessionCommand<UserTaskState> {}

  @JsonTypeName("task.set-session-unread")
  public record SetSessionUnread(String sessionId, boolean unread, String userId)
      implements SessionCommand<UserTaskState> {}

  @JsonTypeName("task.update-draft")
  public record UpdateDraft(
      String sessionId, String text, List<WorkspaceLineAttachment> attachments, String userId)
      implements SessionCommand<UserTaskState> {}

  /** Per-user: marks the latest open session unread for {@code userId}. */
  @JsonTypeName("task.mark-unread")
  public record MarkUnread(String userId) implements Command<UserTaskState> {}

  @JsonTypeName("task.sync-pull-request")
  public record SyncPullRequest(WorkspacePullRequestSummary pullRequest)
      implements Command<Boolean> {}

  /** A session's agent started ({@code running}) or finished ({@code idle}, {@code error}). */
  @JsonTypeName("task.sync-session-status")
  public record SyncSessionStatus(String sessionId, String status, String errorMessage)
      implements SessionCommand<WorkspaceSessionSummary> {}

  // 4. Queries --------------------------------------------------------------------------------

  public record GetRecord() implements ActorQuery<TaskRecord> {}

  /** The summary built without a user: per-user fields are defaults. */
  public record GetSummary() implements ActorQuery<WorkspaceTaskSummary> {}

  public record GetDetail() implements ActorQuery<WorkspaceTaskDetail> {}

  public record GetSessionDetail(String sessionId) implements ActorQuery<WorkspaceSessionDetail> {}

  /** A task's primary user: the one whose git identity and credentials its sandbox uses. */
  public record TaskOwner(String userId, String login, String email, String avatarUrl) {
    /**
     * The owner {@code userId} makes, from their profile when they have one ({@code null}: a user
     * without a profile yet, known by id only). The one place a task owner is built from a user.
     */
    public static TaskOwner of(String userId, FoundryUser profile) {
      return profile == null
          ? new TaskOwner(userId, null, null, null)
          : new TaskOwner(userId, profile.githubLogin(), profile.email(), null);
    }

    /** This owner with the e-mail the organization knows for them. */
    public TaskOwner withEmail(String email) {
      return new TaskOwner(userId, login, email, avatarUrl);
    }
  }
}
