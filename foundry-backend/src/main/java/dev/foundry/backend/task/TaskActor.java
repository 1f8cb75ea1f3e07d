package dev.foundry.backend.task;

import static dev.foundry.backend.task.TaskScope.blank;

import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.Archive;
import dev.foundry.backend.protocol.TaskProtocol.Attach;
import dev.foundry.backend.protocol.TaskProtocol.ChangeModel;
import dev.foundry.backend.protocol.TaskProtocol.ChangeOwner;
import dev.foundry.backend.protocol.TaskProtocol.CloseSession;
import dev.foundry.backend.protocol.TaskProtocol.Command;
import dev.foundry.backend.protocol.TaskProtocol.CreateSession;
import dev.foundry.backend.protocol.TaskProtocol.GetDetail;
import dev.foundry.backend.protocol.TaskProtocol.GetRecord;
import dev.foundry.backend.protocol.TaskProtocol.GetSessionDetail;
import dev.foundry.backend.protocol.TaskProtocol.GetSummary;
import dev.foundry.backend.protocol.TaskProtocol.Initialize;
import dev.foundry.backend.protocol.TaskProtocol.Kill;
import dev.foundry.backend.protocol.TaskProtocol.MarkUnread;
import dev.foundry.backend.protocol.TaskProtocol.Merge;
import dev.foundry.backend.protocol.TaskProtocol.Provision;
import dev.foundry.backend.protocol.TaskProtocol.PublishPr;
import dev.foundry.backend.protocol.TaskProtocol.Push;
import dev.foundry.backend.protocol.TaskProtocol.Rename;
import dev.foundry.backend.protocol.TaskProtocol.RenameSession;
import dev.foundry.backend.protocol.TaskProtocol.RevertFile;
import dev.foundry.backend.protocol.TaskProtocol.SelectSession;
import dev.foundry.backend.protocol.TaskProtocol.SendMessage;
import dev.foundry.backend.protocol.TaskProtocol.SetSessionUnread;
import dev.foundry.backend.protocol.TaskProtocol.StopSession;
import dev.foundry.backend.protocol.TaskProtocol.Switch;
import dev.foundry.backend.protocol.TaskProtocol.Sync;
import dev.foundry.backend.protocol.TaskProtocol.SyncGitState;
import dev.foundry.backend.protocol.TaskProtocol.SyncPullRequest;
import dev.foundry.backend.protocol.TaskProtocol.SyncSessionStatus;
import dev.foundry.backend.protocol.TaskProtocol.TaskAddress;
import dev.foundry.backend.protocol.TaskProtocol.UpdateDraft;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.task.TaskEvents.Event;
import dev.foundry.backend.task.TaskEvents.LifecycleRecorded;
import dev.foundry.backend.task.TaskEvents.OwnerChanged;
import dev.foundry.backend.task.TaskEvents.PullRequestSynced;
import dev.foundry.backend.task.TaskEvents.SessionStatusSynced;
import dev.foundry.backend.task.TaskEvents.StatusChanged;
import dev.foundry.backend.task.TaskEvents.TaskInitialized;
import dev.foundry.backend.task.TaskEvents.TitleChanged;
import dev.foundry.shared.contracts.AttachResult;
import dev.foundry.shared.contracts.SwitchResult;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One task: one branch of one repository. Commands are processed in order, reads are queries. This
 * class holds the handler table, with each group behind its lifecycle guard ({@link TaskGuards}),
 * and the task's own lifecycle: initialize, attach, switch, archive, kill, rename, owner and pull
 * request. Sessions are {@link TaskSessions}, the work through the sandbox (provisioning, messages,
 * git) is {@link TaskSandbox}, and what follows the events (other actors, broadcasts) is {@link
 * TaskOutbox}; they share a {@link TaskScope}, not the actor.
 */
public final class TaskActor extends DurableActor<Command<?>, Event, TaskTables> {

  public static final ActorKind<Command<?>, Event, TaskTables> KIND =
      ActorKind.bind(TaskProtocol.TYPE, Event.class, TaskTables::new, TaskActor::new);

  /** The error of a session whose turn ran when its task was archived or killed. */
  static final String FINISHED_DURING_TURN = "the task was %s during the turn";

  private final TaskScope scope;
  private final TaskGuards guards;
  private final TaskSessions sessions;
  private final TaskSandbox sandbox;
  private final TaskOutbox outbox;

  private TaskActor(ActorSetup<TaskTables> setup) {
    super(setup);
    this.scope =
        new TaskScope(TaskAddress.of(key()), runtime(), this::commandId, System::currentTimeMillis);
    this.guards = new TaskGuards(scope);
    this.sessions = new TaskSessions(scope);
    this.sandbox = new TaskSandbox(scope);
    this.outbox = new TaskOutbox(scope);
  }

  @Override
  protected void handlers(Handlers<Command<?>, TaskTables> on) {
    on.command(Initialize.class, this::initialize);
    on.inState(guards::initialized)
        .command(Switch.class, this::switchTask)
        .command(SyncPullRequest.class, this::syncPullRequest)
        .command(SyncGitState.class, sandbox::syncGitState);
    on.inState(guards::live)
        .command(Provision.class, sandbox::provision)
        .command(Attach.class, this::attach)
        .command(PublishPr.class, this::publishPr)
        .command(
            Archive.class,
            (c, t) -> finish(TaskStatus.ARCHIVED, "task.archive", c.reason(), c.userId(), t))
        .command(
            Kill.class, (c, t) -> finish(TaskStatus.KILLED, "task.kill", c.reason(), c.userId(), t))
        .command(Rename.class, this::rename)
        .command(ChangeOwner.class, this::changeOwner)
        .command(CreateSession.class, sessions::createSession)
        .command(MarkUnread.class, sessions::markUnread);
    on.inState(guards::openSession)
        .command(SendMessage.class, sandbox::sendMessage)
        .command(StopSession.class, sandbox::stopSession)
        .command(RenameSession.class, sessions::renameSession)
        .command(ChangeModel.class, sessions::changeModel)
        .command(CloseSession.class, sessions::closeSession)
        .command(SelectSession.class, sessions::selectSession)
        .command(SetSessionUnread.class, sessions::setSessionUnread)
        .command(UpdateDraft.class, sessions::updateDraft)
        .command(SyncSessionStatus.class, sessions::syncSessionStatus);
    on.inState(guards::sandboxAttached)
        .command(
            Push.class,
            (c, t) ->
                sandbox.gitWork(
                    new SandboxProtocol.PushBranch(), "task.push", c.reason(), c.userId()))
        .command(
            Sync.class,
            (c, t) ->
                sandbox.gitWork(
                    new SandboxProtocol.SyncBranch(), "task.sync", c.reason(), c.userId()))
        .command(
            Merge.class,
            (c, t) ->
                sandbox.gitWork(
                    new SandboxProtocol.MergeBranch(), "task.merge", c.reason(), c.userId()))
        .command(RevertFile.class, sandbox::revertFile);
    TaskAddress a = scope.address();
    on.query(GetRecord.class, (q, t) -> t.requireRecord(a.organizationId(), a.repoId(), a.taskId()))
        .query(
            GetSummary.class,
            (q, t) -> TaskViews.summaryOf(t.requireDetail(a.taskId(), a.repoId())))
        .query(GetDetail.class, (q, t) -> t.requireDetail(a.taskId(), a.repoId()))
        .query(GetSessionDetail.class, (q, t) -> t.requireSessionDetail(q.sessionId()));
  }

  private Decision<TaskRecord> initialize(Initialize cmd, TaskTables tables) {
    TaskAddress a = scope.address();
    if (tables.initialized()) {
      // Idempotent: a create decided again (a retry, a crash before the organization indexed the
      // task) reaches the same task id and gets the task as it is; nothing changes.
      return Decision.reply(tables.requireRecord(a.organizationId(), a.repoId(), a.taskId()));
    }
    String prompt = cmd.task();
    if (blank(prompt)) {
      return Decision.reject("invalid_task", "a task needs a non-blank prompt");
    }
    if (blank(cmd.repoRemote())) {
      return Decision.reject("invalid_repository", "a task needs its repository's remote URL");
    }
    long createdAt = cmd.createdAt() == null ? scope.now() : cmd.createdAt();
    List<Event> events = new ArrayList<>(3);
    events.add(
        new TaskInitialized(
            cmd.repoRemote(),
            blank(cmd.repoName()) ? cmd.repoRemote() : cmd.repoName(),
            cmd.branchName(),
            cmd.title(),
            prompt,
            blank(cmd.sandboxProviderId()) ? "local" : cmd.sandboxProviderId(),
            cmd.owner(),
            cmd.pullRequest(),
            TaskStatus.INIT_ENQUEUE_PROVISION,
            createdAt,
            blank(cmd.model()) ? null : cmd.model().strip()));
    if (!scope.runsSandboxes()) {
      // Nothing to provision on a backend without sandboxes: the task is complete in this write,
      // not in a Provision after it (a write and an outbox round trip less per task), and as of
      // its creation, so its first summary is the one its organization listed it with
      // (TaskProtocol.newTaskStatus).
      events.addAll(sandbox.initialized(createdAt));
    }
    return Decision.<TaskRecord>persist(events)
        .thenReply(() -> tables.requireRecord(a.organizationId(), a.repoId(), a.taskId()));
  }

  private Decision<AttachResult> attach(Attach cmd, TaskTables tables) {
    AttachResult result =
        new AttachResult(nullToEmpty(tables.sandboxUrl()), tables.latestOpenSessionId());
    return Decision.<AttachResult>persist(
            recorded("task.attach", cmd.reason(), cmd.userId(), scope.now()))
        .thenReply(() -> result);
  }

  private Decision<SwitchResult> switchTask(Switch cmd, TaskTables tables) {
    return Decision.reply(
        new SwitchResult(
            scope.address().organizationId(),
            scope.taskId(),
            tables.sandboxProviderId(),
            nullToEmpty(tables.sandboxUrl())));
  }

  /**
   * A pull request is published by {@code POST .../tasks/{taskId}/pull-request}, which pushes
   * through this actor and opens the pull request on GitHub outside it (GitHub calls stay out of
   * actors' packages): this command is always refused. A task without a sandbox keeps its old code
   * {@code no_active_sandbox} (callers know it).
   */
  private Decision<Boolean> publishPr(PublishPr cmd, TaskTables tables) {
    String missing = "pull requests are published with POST .../tasks/{taskId}/pull-request";
    if (tables.sandboxUrl() == null) {
      return Decision.reject(
          "no_active_sandbox", "task " + scope.taskId() + " has no sandbox, and " + missing);
    }
    return Decision.reject("not_available", missing);
  }

  private Decision<Boolean> finish(
      TaskStatus status, String kind, String reason, String userId, TaskTables tables) {
    long at = scope.now();
    List<Event> events = new ArrayList<>();
    // The sandbox goes with the task, and a running turn's agent with it. The end of that turn
    // will never be reported to a finished task (it refuses session updates), so it ends here;
    // otherwise the session would show running forever.
    for (TaskStatusRule.OpenSession s : tables.openSessions()) {
      if (s.thinking()) {
        events.add(
            new SessionStatusSynced(
                s.sessionId(),
                null,
                WorkspaceSessionStatus.ERROR,
                String.format(FINISHED_DURING_TURN, status.name().toLowerCase(Locale.ROOT)),
                at,
                true));
      }
    }
    events.add(new StatusChanged(status, at));
    events.add(recorded(kind, reason, userId, at));
    return Decision.<Boolean>persist(events).thenReply(() -> true);
  }

  private Decision<WorkspaceTaskDetail> rename(Rename cmd, TaskTables tables) {
    if (blank(cmd.title())) {
      return Decision.reject("invalid_title", "a title must not be blank");
    }
    return Decision.<WorkspaceTaskDetail>persist(new TitleChanged(cmd.title().strip(), scope.now()))
        .thenReply(() -> tables.requireDetail(scope.taskId(), scope.address().repoId()));
  }

  private Decision<WorkspaceTaskSummary> changeOwner(ChangeOwner cmd, TaskTables tables) {
    if (cmd.owner() == null || blank(cmd.owner().userId())) {
      return Decision.reject("invalid_owner", "the new owner needs a user id");
    }
    return Decision.<WorkspaceTaskSummary>persist(new OwnerChanged(cmd.owner(), scope.now()))
        .thenReply(() -> summary(tables));
  }

  private Decision<Boolean> syncPullRequest(SyncPullRequest cmd, TaskTables tables) {
    return Decision.<Boolean>persist(new PullRequestSynced(cmd.pullRequest(), scope.now()))
        .thenReply(() -> true);
  }

  private WorkspaceTaskSummary summary(TaskTables tables) {
    return TaskViews.summaryOf(tables.requireDetail(scope.taskId(), scope.address().repoId()));
  }

  private LifecycleRecorded recorded(String kind, String reason, String userId, long at) {
    return new LifecycleRecorded(
        kind, TaskSandbox.reasonPayload(reason, userId), scope.commandId(), at);
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  // After apply: see TaskOutbox ---------------------------------------------------------------

  @Override
  protected List<Outbound.Tell> durableTells(List<Event> events, TaskTables tables) {
    return outbox.durableTells(events, tables);
  }

  @Override
  protected void afterApply(List<Event> events, TaskTables tables) {
    outbox.broadcast(events, tables, this::publish);
  }
}
