package dev.foundry.backend.task;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.auditlog.AuditLog;
import dev.foundry.backend.organization.OrganizationActor;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.user.UserActor;
import dev.foundry.backend.user.UserTaskState;
import dev.foundry.shared.contracts.AttachResult;
import dev.foundry.shared.contracts.SwitchResult;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.realtime.SessionUpdated;
import dev.foundry.shared.realtime.TaskUpdated;
import dev.foundry.shared.workspace.WorkspaceLineAttachment;
import dev.foundry.shared.workspace.WorkspaceModels;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * One task: one branch of one repository. Lifecycle, title, owner and session metadata are commands
 * processed in order; reads are queries. Sandbox work (provisioning, push, PR publish) arrives with
 * the sandbox actor: until then the commands that need a sandbox are refused with {@code
 * no_active_sandbox}.
 */
public final class TaskActor
    extends DurableActor<TaskActor.Command<?>, TaskActor.Event, TaskTables> {

  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, TaskTables> KIND =
      ActorKind.define("task", Command.class, Event.class, TaskTables::new, TaskActor::new);

  public static ActorKey key(String organizationId, String repoId, String taskId) {
    return ActorKey.of("org", organizationId, "task", repoId, taskId);
  }

  // 2. Commands -------------------------------------------------------------------------------

  public sealed interface Command<R> extends DurableCommand<R> {}

  /** Creates the task's rows; sent by its organization only (create or materialize). */
  @JsonTypeName("task.initialize")
  public record Initialize(
      String repoRemote,
      String repoName,
      String branchName,
      String title,
      String task,
      String sandboxProviderId,
      TaskOwner owner,
      WorkspacePullRequestSummary pullRequest)
      implements Command<TaskRecord> {}

  /** The second step of initialization, self-sent (upstream {@code task.command.provision}). */
  @JsonTypeName("task.provision")
  public record Provision() implements Command<Boolean> {}

  @JsonTypeName("task.attach")
  public record Attach(String reason) implements Command<AttachResult> {}

  @JsonTypeName("task.switch")
  public record Switch() implements Command<SwitchResult> {}

  @JsonTypeName("task.push")
  public record Push(String reason) implements Command<Boolean> {}

  @JsonTypeName("task.sync")
  public record Sync(String reason) implements Command<Boolean> {}

  @JsonTypeName("task.merge")
  public record Merge(String reason) implements Command<Boolean> {}

  @JsonTypeName("task.publish-pr")
  public record PublishPr() implements Command<Boolean> {}

  @JsonTypeName("task.archive")
  public record Archive(String reason) implements Command<Boolean> {}

  @JsonTypeName("task.kill")
  public record Kill(String reason) implements Command<Boolean> {}

  @JsonTypeName("task.rename")
  public record Rename(String title) implements Command<WorkspaceTaskSummary> {}

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
      implements Command<WorkspaceSessionSummary> {}

  @JsonTypeName("task.change-model")
  public record ChangeModel(String sessionId, String model)
      implements Command<WorkspaceSessionSummary> {}

  /** Closes a session (not the last open one); the user's selection moves to another. */
  @JsonTypeName("task.close-session")
  public record CloseSession(String sessionId, String userId) implements Command<Boolean> {}

  /** Per-user: selects a session for {@code userId} (written to their user actor). */
  @JsonTypeName("task.select-session")
  public record SelectSession(String sessionId, String userId) implements Command<UserTaskState> {}

  @JsonTypeName("task.set-session-unread")
  public record SetSessionUnread(String sessionId, boolean unread, String userId)
      implements Command<UserTaskState> {}

  @JsonTypeName("task.update-draft")
  public record UpdateDraft(
      String sessionId, String text, List<WorkspaceLineAttachment> attachments, String userId)
      implements Command<UserTaskState> {}

  /** Per-user: marks the latest open session unread for {@code userId}. */
  @JsonTypeName("task.mark-unread")
  public record MarkUnread(String userId) implements Command<UserTaskState> {}

  @JsonTypeName("task.sync-pull-request")
  public record SyncPullRequest(WorkspacePullRequestSummary pullRequest)
      implements Command<Boolean> {}

  /** A session's agent started ({@code running}) or finished ({@code idle}, {@code error}). */
  @JsonTypeName("task.sync-session-status")
  public record SyncSessionStatus(String sessionId, String status, String errorMessage)
      implements Command<WorkspaceSessionSummary> {}

  // 3. Events ---------------------------------------------------------------------------------

  public sealed interface Event extends DurableEvent {}

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
      long at)
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

  @JsonTypeName("task.session-model-changed")
  public record SessionModelChanged(String sessionId, String model, long at) implements Event {}

  @JsonTypeName("task.session-closed")
  public record SessionClosed(String sessionId, String closedBy, String nextSessionId, long at)
      implements Event {}

  @JsonTypeName("task.session-status-synced")
  public record SessionStatusSynced(
      String sessionId,
      Long thinkingSinceMs,
      WorkspaceSessionStatus status,
      String errorMessage,
      long at)
      implements Event {}

  // 4. Queries --------------------------------------------------------------------------------

  public record GetRecord() implements ActorQuery<TaskRecord> {}

  /** The summary built without a user: per-user fields are defaults. */
  public record GetSummary() implements ActorQuery<WorkspaceTaskSummary> {}

  public record GetDetail() implements ActorQuery<WorkspaceTaskDetail> {}

  public record GetSessionDetail(String sessionId) implements ActorQuery<WorkspaceSessionDetail> {}

  /**
   * The task's detail as {@code userId} sees it: their selected session and unread flags merged
   * from their user actor.
   */
  public static CompletionStage<WorkspaceTaskDetail> detailForUser(
      DurableRuntime runtime, ActorKey taskKey, String userId) {
    String taskId = taskKey.segments().get(4);
    CompletionStage<WorkspaceTaskDetail> detail = runtime.get(KIND, taskKey).query(new GetDetail());
    CompletionStage<UserTaskState> state = userState(runtime, userId, taskId);
    return detail.thenCombine(state, TaskViews::forUser);
  }

  /** One session's detail as {@code userId} sees it: their draft and unread flag. */
  public static CompletionStage<WorkspaceSessionDetail> sessionDetailForUser(
      DurableRuntime runtime, ActorKey taskKey, String sessionId, String userId) {
    String taskId = taskKey.segments().get(4);
    CompletionStage<WorkspaceSessionDetail> detail =
        runtime.get(KIND, taskKey).query(new GetSessionDetail(sessionId));
    CompletionStage<UserTaskState> state = userState(runtime, userId, taskId);
    return detail.thenCombine(state, TaskViews::forUser);
  }

  /** The user's state of this task; empty for a user who never touched it (or does not exist). */
  private static CompletionStage<UserTaskState> userState(
      DurableRuntime runtime, String userId, String taskId) {
    return runtime
        .get(UserActor.KIND, UserActor.key(userId))
        .queryIfExists(new UserActor.GetTaskState(taskId))
        .thenApply(s -> s != null ? s : new UserTaskState(taskId, null, List.of()));
  }

  private static CompletionStage<dev.foundry.shared.app.FoundryUser> userProfile(
      DurableRuntime runtime, String userId) {
    return runtime
        .get(UserActor.KIND, UserActor.key(userId))
        .queryIfExists(new UserActor.GetProfile());
  }

  // 5. Handlers -------------------------------------------------------------------------------

  private TaskActor(ActorSetup<TaskTables> setup) {
    super(setup);
  }

  private String organizationId() {
    return key().segments().get(1);
  }

  private String repoId() {
    return key().segments().get(3);
  }

  private String taskId() {
    return key().segments().get(4);
  }

  @Override
  protected void handlers(Handlers<Command<?>, TaskTables> on) {
    on.command(Initialize.class, this::initialize)
        .command(Provision.class, this::provision)
        .command(Attach.class, this::attach)
        .command(Switch.class, this::switchTask)
        .command(Push.class, (c, t) -> requireSandbox(t, "push"))
        .command(PublishPr.class, (c, t) -> requireSandbox(t, "publish a pull request"))
        .command(Sync.class, (c, t) -> audited(t, "task.sync", c.reason()))
        .command(Merge.class, (c, t) -> audited(t, "task.merge", c.reason()))
        .command(
            Archive.class, (c, t) -> finish(t, TaskStatus.ARCHIVED, "task.archive", c.reason()))
        .command(Kill.class, (c, t) -> finish(t, TaskStatus.KILLED, "task.kill", c.reason()))
        .command(Rename.class, this::rename)
        .command(ChangeOwner.class, this::changeOwner)
        .command(CreateSession.class, this::createSession)
        .command(RenameSession.class, this::renameSession)
        .command(ChangeModel.class, this::changeModel)
        .command(CloseSession.class, this::closeSession)
        .command(SelectSession.class, this::selectSession)
        .command(SetSessionUnread.class, this::setSessionUnread)
        .command(UpdateDraft.class, this::updateDraft)
        .command(MarkUnread.class, this::markUnread)
        .command(SyncPullRequest.class, this::syncPullRequest)
        .command(SyncSessionStatus.class, this::syncSessionStatus)
        .query(GetRecord.class, (q, t) -> t.requireRecord(organizationId(), repoId(), taskId()))
        .query(GetSummary.class, (q, t) -> t.requireSummary(taskId(), repoId()))
        .query(GetDetail.class, (q, t) -> t.requireDetail(taskId(), repoId()))
        .query(GetSessionDetail.class, (q, t) -> t.requireSessionDetail(q.sessionId()));
  }

  private Decision initialize(Initialize cmd, TaskTables tables) {
    if (tables.initialized()) {
      return Decision.reject("task_already_initialized", "task " + taskId() + " exists already");
    }
    if (blank(cmd.task())) {
      return Decision.reject("invalid_task", "a task needs a non-blank prompt");
    }
    if (blank(cmd.repoRemote())) {
      return Decision.reject("invalid_repository", "a task needs its repository's remote URL");
    }
    return Decision.persist(
            new TaskInitialized(
                cmd.repoRemote(),
                blank(cmd.repoName()) ? cmd.repoRemote() : cmd.repoName(),
                cmd.branchName(),
                cmd.title(),
                cmd.task(),
                blank(cmd.sandboxProviderId()) ? "local" : cmd.sandboxProviderId(),
                cmd.owner(),
                cmd.pullRequest(),
                TaskStatus.INIT_ENQUEUE_PROVISION,
                now()))
        .thenReply(() -> tables.requireRecord(organizationId(), repoId(), taskId()));
  }

  private Decision provision(Provision cmd, TaskTables tables) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    if (!tables.status().initializing()) {
      return Decision.reply(false);
    }
    long at = now();
    return Decision.persist(
            new StatusChanged(TaskStatus.INIT_COMPLETE, at),
            new LifecycleRecorded(
                "task.initialized",
                Map.of("sandboxProviderId", tables.sandboxProviderId()),
                commandId(),
                at))
        .thenReply(() -> true);
  }

  private Decision attach(Attach cmd, TaskTables tables) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    AttachResult result =
        new AttachResult(nullToEmpty(tables.switchTarget()), tables.latestOpenSessionId());
    return Decision.persist(
            new LifecycleRecorded("task.attach", reasonPayload(cmd.reason()), commandId(), now()))
        .thenReply(() -> result);
  }

  private Decision switchTask(Switch cmd, TaskTables tables) {
    if (!tables.initialized()) {
      return notInitialized();
    }
    return Decision.reply(
        new SwitchResult(
            organizationId(),
            taskId(),
            tables.sandboxProviderId(),
            nullToEmpty(tables.switchTarget())));
  }

  private Decision requireSandbox(TaskTables tables, String what) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    if (tables.switchTarget() == null) {
      return Decision.reject(
          "no_active_sandbox", "task " + taskId() + " has no sandbox to " + what + " from yet");
    }
    return Decision.reject("not_available", "sandbox work arrives with the sandbox actor");
  }

  private Decision audited(TaskTables tables, String kind, String reason) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    return Decision.persist(new LifecycleRecorded(kind, reasonPayload(reason), commandId(), now()))
        .thenReply(() -> true);
  }

  private Decision finish(TaskTables tables, TaskStatus status, String kind, String reason) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    long at = now();
    return Decision.persist(
            new StatusChanged(status, at),
            new LifecycleRecorded(kind, reasonPayload(reason), commandId(), at))
        .thenReply(() -> true);
  }

  private Decision rename(Rename cmd, TaskTables tables) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    if (blank(cmd.title())) {
      return Decision.reject("invalid_title", "a title must not be blank");
    }
    return Decision.persist(new TitleChanged(cmd.title().strip(), now()))
        .thenReply(() -> tables.requireSummary(taskId(), repoId()));
  }

  private Decision changeOwner(ChangeOwner cmd, TaskTables tables) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    if (cmd.owner() == null || blank(cmd.owner().userId())) {
      return Decision.reject("invalid_owner", "the new owner needs a user id");
    }
    return Decision.persist(new OwnerChanged(cmd.owner(), now()))
        .thenReply(() -> tables.requireSummary(taskId(), repoId()));
  }

  private Decision createSession(CreateSession cmd, TaskTables tables) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    if (!blank(cmd.model()) || blank(cmd.userId())) {
      return sessionCreated(tables, blank(cmd.model()) ? null : cmd.model().strip(), cmd.userId());
    }
    CompletionStage<String> userModel =
        userProfile(runtime(), cmd.userId()).thenApply(p -> p == null ? null : p.defaultModel());
    return Decision.after(userModel, model -> sessionCreated(tables, model, cmd.userId()));
  }

  private Decision sessionCreated(TaskTables tables, String model, String userId) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    String sessionId = "session-" + UUID.randomUUID();
    WorkspaceSessionStatus status =
        tables.switchTarget() == null
            ? WorkspaceSessionStatus.PENDING_PROVISION
            : WorkspaceSessionStatus.PENDING_SESSION_CREATE;
    return Decision.persist(
            new SessionCreated(
                sessionId,
                "Session " + (tables.sessionCount() + 1),
                model == null ? WorkspaceModels.DEFAULT_MODEL_ID : model,
                status,
                userId,
                now()))
        .thenReply(() -> sessionId);
  }

  private Decision renameSession(RenameSession cmd, TaskTables tables) {
    Decision refused = requireOpenSession(tables, cmd.sessionId());
    if (refused != null) {
      return refused;
    }
    if (blank(cmd.title())) {
      return Decision.reject("invalid_session_name", "a session name must not be blank");
    }
    return Decision.persist(new SessionRenamed(cmd.sessionId(), cmd.title().strip(), now()))
        .thenReply(() -> tables.sessionSummary(cmd.sessionId()));
  }

  private Decision changeModel(ChangeModel cmd, TaskTables tables) {
    Decision refused = requireOpenSession(tables, cmd.sessionId());
    if (refused != null) {
      return refused;
    }
    if (blank(cmd.model())) {
      return Decision.reject("invalid_model", "a model id must not be blank");
    }
    if (cmd.model().strip().equals(tables.sessionSummary(cmd.sessionId()).model())) {
      return Decision.reply(tables.sessionSummary(cmd.sessionId()));
    }
    return Decision.persist(new SessionModelChanged(cmd.sessionId(), cmd.model().strip(), now()))
        .thenReply(() -> tables.sessionSummary(cmd.sessionId()));
  }

  private Decision closeSession(CloseSession cmd, TaskTables tables) {
    Decision refused = requireOpenSession(tables, cmd.sessionId());
    if (refused != null) {
      return refused;
    }
    List<String> open = tables.openSessionIds();
    if (open.size() <= 1) {
      return Decision.reply(false); // the last open session stays (upstream: no-op)
    }
    String next = open.stream().filter(id -> !id.equals(cmd.sessionId())).findFirst().orElseThrow();
    return Decision.persist(new SessionClosed(cmd.sessionId(), cmd.userId(), next, now()))
        .thenReply(() -> true);
  }

  private Decision selectSession(SelectSession cmd, TaskTables tables) {
    return perUser(
        tables,
        cmd.sessionId(),
        cmd.userId(),
        new UserActor.UpsertTaskState(
            taskId(), cmd.sessionId(), cmd.sessionId(), null, null, null));
  }

  private Decision setSessionUnread(SetSessionUnread cmd, TaskTables tables) {
    return perUser(
        tables,
        cmd.sessionId(),
        cmd.userId(),
        new UserActor.UpsertTaskState(taskId(), cmd.sessionId(), null, cmd.unread(), null, null));
  }

  private Decision updateDraft(UpdateDraft cmd, TaskTables tables) {
    return perUser(
        tables,
        cmd.sessionId(),
        cmd.userId(),
        new UserActor.UpsertTaskState(
            taskId(),
            cmd.sessionId(),
            null,
            null,
            cmd.text() == null ? "" : cmd.text(),
            cmd.attachments() == null ? List.of() : cmd.attachments()));
  }

  private Decision markUnread(MarkUnread cmd, TaskTables tables) {
    String latest = tables.initialized() ? tables.latestOpenSessionId() : null;
    if (tables.initialized() && latest == null) {
      return Decision.reject("session_not_found", "task " + taskId() + " has no open session");
    }
    return perUser(
        tables,
        latest,
        cmd.userId(),
        new UserActor.UpsertTaskState(taskId(), latest, null, true, null, null));
  }

  /** Checks the session here, then writes the user's own state on their user actor. */
  private Decision perUser(
      TaskTables tables, String sessionId, String userId, UserActor.UpsertTaskState change) {
    Decision refused = requireOpenSession(tables, sessionId);
    if (refused != null) {
      return refused;
    }
    if (blank(userId)) {
      return Decision.reject("invalid_user", "per-user task state needs the user's id");
    }
    return Decision.after(
        runtime().getOrCreate(UserActor.KIND, UserActor.key(userId)).ask(change), Decision::reply);
  }

  private Decision syncPullRequest(SyncPullRequest cmd, TaskTables tables) {
    if (!tables.initialized()) {
      return notInitialized();
    }
    return Decision.persist(new PullRequestSynced(cmd.pullRequest(), now())).thenReply(() -> true);
  }

  private Decision syncSessionStatus(SyncSessionStatus cmd, TaskTables tables) {
    Decision refused = requireOpenSession(tables, cmd.sessionId());
    if (refused != null) {
      return refused;
    }
    WorkspaceSessionSummary current = tables.sessionSummary(cmd.sessionId());
    long at = now();
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
            at));
    TaskStatus derived = tables.deriveStatusWith(cmd.sessionId(), thinking != null, status);
    if (derived != tables.status()) {
      events.add(new StatusChanged(derived, at));
    }
    return Decision.persist(events).thenReply(() -> tables.sessionSummary(cmd.sessionId()));
  }

  // --- guards --------------------------------------------------------------------------------

  private Decision notInitialized() {
    return Decision.reject("task_not_found", "task " + taskId() + " was never initialized");
  }

  /** Null when the task exists and is neither archived nor killed. */
  private Decision requireLive(TaskTables tables) {
    if (!tables.initialized()) {
      return notInitialized();
    }
    TaskStatus status = tables.status();
    if (status == TaskStatus.ARCHIVED) {
      return Decision.reject("task_archived", "task " + taskId() + " is archived");
    }
    if (status == TaskStatus.KILLED) {
      return Decision.reject("task_killed", "task " + taskId() + " was killed");
    }
    return null;
  }

  private Decision requireOpenSession(TaskTables tables, String sessionId) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    if (sessionId == null || !tables.sessionOpen(sessionId)) {
      return Decision.reject(
          "session_not_found", "task " + taskId() + " has no open session " + sessionId);
    }
    return null;
  }

  // 6. After apply: summary up to the organization, audit, broadcasts, per-user effects -------

  /**
   * What other actors must hear about these events, persisted with them (the runtime's outbox):
   * audit entries, the summary pushed up to the organization, per-user session state, and the
   * provisioning step after initialization. None is lost if the process dies after the commit.
   */
  @Override
  protected List<Outbound.Tell> durableTells(List<Event> events, TaskTables tables) {
    List<Outbound.Tell> tells = new ArrayList<>();
    boolean summaryChanged = false;
    for (Event event : events) {
      if (event instanceof LifecycleRecorded e) {
        tells.add(
            new Outbound.Tell(
                runtime().getOrCreate(AuditLog.KIND, AuditLog.key(organizationId())),
                new AuditLog.Append(
                    e.auditKind(),
                    repoId(),
                    taskId(),
                    tables.branchName(),
                    e.payload(),
                    e.commandId() + "/" + e.auditKind())));
      } else {
        summaryChanged = true;
      }
      if (event instanceof TaskInitialized) {
        tells.add(new Outbound.Tell(runtime().get(KIND, key()), new Provision()));
      } else if (event instanceof SessionCreated e && e.createdBy() != null) {
        tells.add(
            userTell(
                e.createdBy(),
                new UserActor.UpsertTaskState(
                    taskId(), e.sessionId(), e.sessionId(), false, null, null)));
      } else if (event instanceof SessionClosed e && e.closedBy() != null) {
        tells.add(userTell(e.closedBy(), new UserActor.DeleteTaskState(taskId(), e.sessionId())));
        tells.add(
            userTell(
                e.closedBy(),
                new UserActor.UpsertTaskState(
                    taskId(), e.nextSessionId(), e.nextSessionId(), null, null, null)));
      }
    }
    if (summaryChanged) {
      WorkspaceTaskDetail detail = tables.requireDetail(taskId(), repoId());
      tells.add(
          new Outbound.Tell(
              runtime().get(OrganizationActor.KIND, OrganizationActor.key(organizationId())),
              new OrganizationActor.ApplyTaskSummaryUpdate(TaskViews.summaryOf(detail))));
    }
    return tells;
  }

  private Outbound.Tell userTell(String userId, UserActor.Command<?> command) {
    return new Outbound.Tell(runtime().getOrCreate(UserActor.KIND, UserActor.key(userId)), command);
  }

  /** Realtime broadcasts: full-replacement payloads for the task and its sessions. */
  @Override
  protected void afterApply(List<Event> events, TaskTables tables) {
    boolean summaryChanged = events.stream().anyMatch(e -> !(e instanceof LifecycleRecorded));
    if (!summaryChanged) {
      return;
    }
    WorkspaceTaskDetail detail = tables.requireDetail(taskId(), repoId());
    String topicId = organizationId() + "/" + taskId();
    publish(new Publication("task", topicId, TaskUpdated.TYPE, new TaskUpdated(detail)));
    for (String sessionId : sessionsNamed(events)) {
      publish(
          "session",
          topicId + "/" + sessionId,
          SessionUpdated.TYPE,
          () -> new SessionUpdated(tables.requireSessionDetail(sessionId)));
    }
  }

  private static List<String> sessionsNamed(List<Event> events) {
    Map<String, Boolean> ids = new LinkedHashMap<>();
    for (Event e : events) {
      if (e instanceof SessionCreated s) {
        ids.put(s.sessionId(), true);
      } else if (e instanceof SessionRenamed s) {
        ids.put(s.sessionId(), true);
      } else if (e instanceof SessionModelChanged s) {
        ids.put(s.sessionId(), true);
      } else if (e instanceof SessionStatusSynced s) {
        ids.put(s.sessionId(), true);
      }
    }
    return List.copyOf(ids.keySet());
  }

  // helpers -----------------------------------------------------------------------------------

  private static Map<String, Object> reasonPayload(String reason) {
    return reason == null ? Map.of() : Map.of("reason", reason);
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
