package dev.foundry.backend.task;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
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
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.TaskProtocol.UpdateDraft;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.shared.contracts.AttachResult;
import dev.foundry.shared.contracts.SwitchResult;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.realtime.SessionUpdated;
import dev.foundry.shared.realtime.TaskUpdated;
import dev.foundry.shared.sandbox.FileChange;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.sandbox.SandboxView;
import dev.foundry.shared.workspace.WorkspaceFileChange;
import dev.foundry.shared.workspace.WorkspaceModels;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * One task: one branch of one repository. Lifecycle, title, owner and session metadata are commands
 * processed in order; reads are queries. Sandbox work (provisioning, push, PR publish) arrives with
 * the sandbox actor: until then the commands that need a sandbox are refused with {@code
 * no_active_sandbox}.
 */
public final class TaskActor
    extends DurableActor<TaskProtocol.Command<?>, TaskActor.Event, TaskTables> {

  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, TaskTables> KIND =
      ActorKind.bind(TaskProtocol.TYPE, Event.class, TaskTables::new, TaskActor::new);

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

  /** The task's sandbox is provisioned, its repository cloned at {@code cwd}. */
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
        .command(
            Push.class,
            (c, t) -> gitWork(t, new SandboxProtocol.PushBranch(), "task.push", c.reason()))
        .command(PublishPr.class, (c, t) -> requireSandbox(t, "publish a pull request"))
        .command(
            Sync.class,
            (c, t) -> gitWork(t, new SandboxProtocol.SyncBranch(), "task.sync", c.reason()))
        .command(
            Merge.class,
            (c, t) -> gitWork(t, new SandboxProtocol.MergeBranch(), "task.merge", c.reason()))
        .command(SendMessage.class, this::sendMessage)
        .command(StopSession.class, this::stopSession)
        .command(SyncGitState.class, this::syncGitState)
        .command(RevertFile.class, this::revertFile)
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
                now(),
                blank(cmd.model()) ? null : cmd.model().strip()))
        .thenReply(() -> tables.requireRecord(organizationId(), repoId(), taskId()));
  }

  /**
   * The second step of creating a task: provision its sandbox, open the first session and deliver
   * the task's prompt as its first message, always (upstream drops it, spec §12.1). A failure is
   * told where the user looks: the first session ends in {@code error} with the reason, and a
   * message sent to it later tries again. A runtime without sandboxes only completes the status.
   */
  private Decision provision(Provision cmd, TaskTables tables) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    if (!tables.status().initializing()) {
      return Decision.reply(false);
    }
    if (!runtime().runs(SandboxProtocol.TYPE)) {
      return Decision.persist(initialized(now())).thenReply(() -> true);
    }
    TaskOwner owner = tables.owner();
    // Derived from the command id, so a provision run again after a crash reuses the session.
    String sessionId =
        "session-" + UUID.nameUUIDFromBytes(commandId().getBytes(StandardCharsets.UTF_8));
    CompletionStage<String> userModel =
        tables.model() != null || owner == null
            ? CompletableFuture.completedFuture(tables.model())
            : TaskReads.userProfile(runtime(), owner.userId())
                .thenApply(p -> p == null ? null : p.defaultModel());
    return Decision.after(
        userModel,
        preferred -> {
          String model = blank(preferred) ? WorkspaceModels.DEFAULT_MODEL_ID : preferred;
          TaskSandbox sandbox = sandbox();
          CompletionStage<Prepared> io =
              sandbox
                  .prepare(tables.repoRemote(), tables.branchName(), owner)
                  .thenCompose(
                      view ->
                          sandbox
                              .send(sessionId, model, tables.prompt(), sessionId + "/prompt")
                              .thenApply(turnId -> new Prepared(view, turnId)));
          String ownerId = owner == null ? null : owner.userId();
          return Decision.after(
              io,
              prepared -> {
                long at = now();
                List<Event> events = new ArrayList<>();
                events.add(attached(prepared.view(), at));
                events.add(
                    new SessionCreated(
                        sessionId, "Session 1", model, WorkspaceSessionStatus.READY, ownerId, at));
                events.add(new SessionReady(sessionId, sessionId, at));
                events.add(
                    new SessionStatusSynced(
                        sessionId, at, WorkspaceSessionStatus.READY, null, at, false));
                events.addAll(initialized(at));
                return Decision.persist(events).thenReply(() -> true);
              },
              failure -> {
                long at = now();
                List<Event> events = new ArrayList<>();
                events.add(
                    new SessionCreated(
                        sessionId, "Session 1", model, WorkspaceSessionStatus.ERROR, ownerId, at));
                events.add(
                    new SessionStatusSynced(
                        sessionId,
                        null,
                        WorkspaceSessionStatus.ERROR,
                        "the sandbox could not start the task: " + reason(failure),
                        at,
                        false));
                events.addAll(initialized(at));
                return Decision.persist(events).thenReply(() -> false);
              });
        });
  }

  private record Prepared(SandboxView view, String turnId) {}

  private List<Event> initialized(long at) {
    return List.of(
        new StatusChanged(TaskStatus.INIT_COMPLETE, at),
        new LifecycleRecorded(
            "task.initialized", Map.of("sandboxProviderId", "local"), commandId(), at));
  }

  private static SandboxAttached attached(SandboxView view, long at) {
    return new SandboxAttached(
        view.sandboxId(),
        view.providerId(),
        view.baseUrl(),
        view.repository() == null ? view.workDir() : view.repository().dir(),
        at);
  }

  private TaskSandbox sandbox() {
    return new TaskSandbox(runtime(), organizationId(), repoId(), taskId());
  }

  // --- messages and git work in the sandbox

  private Decision sendMessage(SendMessage cmd, TaskTables tables) {
    Decision refused = requireOpenSession(tables, cmd.sessionId());
    if (refused != null) {
      return refused;
    }
    if (blank(cmd.text())) {
      return Decision.reject("invalid_message", "message text is required");
    }
    if (!runtime().runs(SandboxProtocol.TYPE)) {
      return Decision.reject("no_sandbox_runtime", "this backend runs no sandboxes");
    }
    WorkspaceSessionSummary session = tables.sessionSummary(cmd.sessionId());
    if (session.thinkingSinceMs() != null) {
      return Decision.reject(
          "session_busy",
          "session " + cmd.sessionId() + " is running a turn; wait for it or stop it first");
    }
    TaskOwner current = tables.owner();
    boolean swap =
        !blank(cmd.userId()) && (current == null || !cmd.userId().equals(current.userId()));
    CompletionStage<TaskOwner> owner =
        swap
            ? TaskReads.userProfile(runtime(), cmd.userId())
                .thenApply(
                    p ->
                        p == null
                            ? new TaskOwner(cmd.userId(), null, null, null)
                            : new TaskOwner(p.id(), p.githubLogin(), p.email(), null))
            : CompletableFuture.completedFuture(current);
    boolean attached = tables.switchTarget() != null;
    TaskSandbox sandbox = sandbox();
    String messageId = "message-" + commandId();
    CompletionStage<Sent> io =
        owner.thenCompose(
            o ->
                // Credentials are (re)written when the sandbox is new or its owner changes.
                sandbox
                    .prepare(tables.repoRemote(), tables.branchName(), swap || !attached ? o : null)
                    .thenCompose(
                        view ->
                            sandbox
                                .send(cmd.sessionId(), session.model(), cmd.text(), messageId)
                                .thenApply(turnId -> new Sent(view, o, turnId))));
    return Decision.after(
        io,
        sent -> {
          long at = now();
          List<Event> events = new ArrayList<>();
          if (swap) {
            events.add(new OwnerChanged(sent.owner(), at));
          }
          if (!attached) {
            events.add(attached(sent.view(), at));
          }
          if (session.sandboxSessionId() == null) {
            events.add(new SessionReady(cmd.sessionId(), cmd.sessionId(), at));
          }
          events.add(
              new SessionStatusSynced(
                  cmd.sessionId(), at, WorkspaceSessionStatus.READY, null, at, false));
          TaskStatus derived =
              tables.deriveStatusWith(cmd.sessionId(), true, WorkspaceSessionStatus.READY);
          if (derived != tables.status()) {
            events.add(new StatusChanged(derived, at));
          }
          events.add(new MessageSent(cmd.sessionId(), cmd.userId(), sent.turnId(), at));
          return Decision.persist(events).thenReply(sent::turnId);
        },
        failure -> rejectFromSandbox("message_not_sent", failure));
  }

  private record Sent(SandboxView view, TaskOwner owner, String turnId) {}

  private Decision stopSession(StopSession cmd, TaskTables tables) {
    Decision refused = requireOpenSession(tables, cmd.sessionId());
    if (refused != null) {
      return refused;
    }
    if (tables.switchTarget() == null || !runtime().runs(SandboxProtocol.TYPE)) {
      return Decision.reply(false);
    }
    return Decision.after(
        sandbox().ref().ask(new SandboxProtocol.StopTurn(cmd.sessionId())),
        Decision::reply,
        failure -> rejectFromSandbox("stop_failed", failure));
  }

  private Decision syncGitState(SyncGitState cmd, TaskTables tables) {
    if (!tables.initialized()) {
      return notInitialized();
    }
    if (cmd.state() == null) {
      return Decision.reject("invalid_git_state", "a git state is required");
    }
    return Decision.persist(gitStateSynced(cmd.state(), now())).thenReply(() -> true);
  }

  private static GitStateSynced gitStateSynced(GitState state, long at) {
    List<WorkspaceFileChange> files = new ArrayList<>();
    for (FileChange f : state.files()) {
      files.add(
          new WorkspaceFileChange(
              f.path(),
              f.added() == null ? 0 : f.added(),
              f.removed() == null ? 0 : f.removed(),
              f.type()));
    }
    return new GitStateSynced(state.branch(), state.ahead(), state.behind(), files, at);
  }

  private Decision revertFile(RevertFile cmd, TaskTables tables) {
    Decision refused = requireSandboxAttached(tables);
    if (refused != null) {
      return refused;
    }
    return Decision.after(
        sandbox().ref().ask(new SandboxProtocol.RevertFile(cmd.path())),
        state -> {
          GitStateSynced synced = gitStateSynced(state, now());
          return Decision.persist(synced).thenReply(synced::fileChanges);
        },
        failure -> rejectFromSandbox("git_revert_failed", failure));
  }

  /** Push, sync or merge in the sandbox; a git failure reaches the caller with git's words. */
  private Decision gitWork(
      TaskTables tables, SandboxProtocol.Command<GitState> work, String kind, String reason) {
    Decision refused = requireSandboxAttached(tables);
    if (refused != null) {
      return refused;
    }
    return Decision.after(
        sandbox().ref().ask(work, TaskSandbox.PREPARE_TIMEOUT),
        state -> {
          long at = now();
          return Decision.persist(
                  gitStateSynced(state, at),
                  new LifecycleRecorded(kind, reasonPayload(reason), commandId(), at))
              .thenReply(() -> true);
        },
        failure -> {
          // Recorded in the audit log (the task's history) and said to the caller.
          Throwable cause =
              failure instanceof CompletionException && failure.getCause() != null
                  ? failure.getCause()
                  : failure;
          String code =
              cause instanceof CommandRejectedException r
                  ? r.code()
                  : kind.replace("task.", "git_") + "_failed";
          String message = reason(failure);
          Map<String, Object> payload = new LinkedHashMap<>(reasonPayload(reason));
          payload.put("code", code);
          payload.put("error", message);
          return Decision.persist(
                  new LifecycleRecorded(kind + "_failed", payload, commandId(), now()))
              .thenReject(code, message);
        });
  }

  private Decision requireSandboxAttached(TaskTables tables) {
    Decision refused = requireLive(tables);
    if (refused != null) {
      return refused;
    }
    if (tables.switchTarget() == null || !runtime().runs(SandboxProtocol.TYPE)) {
      return Decision.reject(
          "no_active_sandbox", "task " + taskId() + " has no sandbox yet; send it a message first");
    }
    return null;
  }

  /** The sandbox's own rejection (its code and message) or, for anything else, {@code code}. */
  private static Decision rejectFromSandbox(String code, Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof CommandRejectedException rejected) {
      return Decision.reject(rejected.code(), rejected.getMessage());
    }
    return Decision.reject(code, reason(failure));
  }

  private static String reason(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
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
        TaskReads.userProfile(runtime(), cmd.userId())
            .thenApply(p -> p == null ? null : p.defaultModel());
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
        new UserProtocol.UpsertTaskState(
            taskId(), cmd.sessionId(), cmd.sessionId(), null, null, null));
  }

  private Decision setSessionUnread(SetSessionUnread cmd, TaskTables tables) {
    return perUser(
        tables,
        cmd.sessionId(),
        cmd.userId(),
        new UserProtocol.UpsertTaskState(
            taskId(), cmd.sessionId(), null, cmd.unread(), null, null));
  }

  private Decision updateDraft(UpdateDraft cmd, TaskTables tables) {
    return perUser(
        tables,
        cmd.sessionId(),
        cmd.userId(),
        new UserProtocol.UpsertTaskState(
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
        new UserProtocol.UpsertTaskState(taskId(), latest, null, true, null, null));
  }

  /** Checks the session here, then writes the user's own state on their user actor. */
  private Decision perUser(
      TaskTables tables, String sessionId, String userId, UserProtocol.UpsertTaskState change) {
    Decision refused = requireOpenSession(tables, sessionId);
    if (refused != null) {
      return refused;
    }
    if (blank(userId)) {
      return Decision.reject("invalid_user", "per-user task state needs the user's id");
    }
    return Decision.after(
        runtime().getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId)).ask(change),
        Decision::reply);
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
            at,
            current.thinkingSinceMs() != null && thinking == null));
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
                runtime()
                    .getOrCreate(AuditLogProtocol.TYPE, AuditLogProtocol.key(organizationId())),
                new AuditLogProtocol.Append(
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
        tells.add(new Outbound.Tell(runtime().get(TaskProtocol.TYPE, key()), new Provision()));
      } else if (event instanceof SessionStatusSynced e && e.turnEnded()) {
        TaskOwner owner = tables.owner();
        if (owner != null) {
          // Unread-on-finish: the owner sees that the agent is done.
          tells.add(
              userTell(
                  owner.userId(),
                  new UserProtocol.UpsertTaskState(
                      taskId(), e.sessionId(), null, true, null, null)));
        }
      } else if (event instanceof MessageSent e && e.userId() != null) {
        tells.add(
            userTell(
                e.userId(),
                new UserProtocol.UpsertTaskState(
                    taskId(), e.sessionId(), e.sessionId(), false, "", List.of())));
      } else if (sandboxAttached(tables) && sandboxCommand(event, tables) != null) {
        tells.add(new Outbound.Tell(sandbox().ref(), sandboxCommand(event, tables)));
      } else if (event instanceof SessionCreated e && e.createdBy() != null) {
        tells.add(
            userTell(
                e.createdBy(),
                new UserProtocol.UpsertTaskState(
                    taskId(), e.sessionId(), e.sessionId(), false, null, null)));
      } else if (event instanceof SessionClosed e && e.closedBy() != null) {
        tells.add(
            userTell(e.closedBy(), new UserProtocol.DeleteTaskState(taskId(), e.sessionId())));
        tells.add(
            userTell(
                e.closedBy(),
                new UserProtocol.UpsertTaskState(
                    taskId(), e.nextSessionId(), e.nextSessionId(), null, null, null)));
      }
    }
    if (summaryChanged) {
      WorkspaceTaskDetail detail = tables.requireDetail(taskId(), repoId());
      tells.add(
          new Outbound.Tell(
              runtime().get(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId())),
              new OrganizationProtocol.ApplyTaskSummaryUpdate(TaskViews.summaryOf(detail))));
    }
    return tells;
  }

  private boolean sandboxAttached(TaskTables tables) {
    return tables.switchTarget() != null && runtime().runs(SandboxProtocol.TYPE);
  }

  /** What the sandbox must do about {@code event} of a task that has one; null for nothing. */
  private static SandboxProtocol.Command<?> sandboxCommand(Event event, TaskTables tables) {
    if (event instanceof StatusChanged e && e.status().finished()) {
      return new SandboxProtocol.Destroy(); // archive and kill leave no process behind
    } else if (event instanceof OwnerChanged e && e.owner() != null) {
      return new SandboxProtocol.StoreGitCredentials(
          e.owner().userId(), e.owner().login(), e.owner().email());
    } else if (event instanceof SessionClosed e) {
      return new SandboxProtocol.CloseSession(e.sessionId());
    } else if (event instanceof SessionModelChanged e && tables.sessionReady(e.sessionId())) {
      return new SandboxProtocol.ChangeModel(e.sessionId(), e.model());
    }
    return null;
  }

  private Outbound.Tell userTell(String userId, UserProtocol.Command<?> command) {
    return new Outbound.Tell(
        runtime().getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId)), command);
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
      } else if (e instanceof SessionReady s) {
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
