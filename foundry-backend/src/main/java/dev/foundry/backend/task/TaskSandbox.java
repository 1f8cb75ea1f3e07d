package dev.foundry.backend.task;

import static dev.foundry.backend.task.TaskScope.blank;

import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol.Provision;
import dev.foundry.backend.protocol.TaskProtocol.RevertFile;
import dev.foundry.backend.protocol.TaskProtocol.SendMessage;
import dev.foundry.backend.protocol.TaskProtocol.StopSession;
import dev.foundry.backend.protocol.TaskProtocol.SyncGitState;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.backend.task.TaskEvents.Event;
import dev.foundry.backend.task.TaskEvents.GitStateSynced;
import dev.foundry.backend.task.TaskEvents.LifecycleRecorded;
import dev.foundry.backend.task.TaskEvents.MessageSent;
import dev.foundry.backend.task.TaskEvents.OwnerChanged;
import dev.foundry.backend.task.TaskEvents.SandboxAttached;
import dev.foundry.backend.task.TaskEvents.SessionAgentRecorded;
import dev.foundry.backend.task.TaskEvents.SessionCreated;
import dev.foundry.backend.task.TaskEvents.SessionReady;
import dev.foundry.backend.task.TaskEvents.SessionStatusSynced;
import dev.foundry.backend.task.TaskEvents.StatusChanged;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.sandbox.FileChange;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.sandbox.SandboxView;
import dev.foundry.shared.workspace.WorkspaceFileChange;
import dev.foundry.shared.workspace.WorkspaceModels;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The task's work through its sandbox: provisioning it with the first session and the prompt,
 * messages and stops, file reverts and git work (push, sync, merge), and the git state it reports
 * back. Every ask is idempotent on the sandbox actor (provision finds the sandbox it made, clone
 * keeps the repository it cloned, a session is created once, a message with the same id is sent
 * once), so a task command run again after a crash repeats the chain without doing anything twice.
 */
final class TaskSandbox {
  /**
   * Provisioning and cloning may be slow (a big repository); the task's queries go on meanwhile.
   */
  static final Duration PREPARE_TIMEOUT = Duration.ofMinutes(10);

  private static final Duration STEP_TIMEOUT = Duration.ofMinutes(1);

  /**
   * The I/O deadline of a decision that waits for {@link #prepare} and {@link #send}: each ask has
   * its own timeout, so the chain gets their sum (and a margin) instead of the runtime's default.
   */
  static final Duration PREPARE_AND_SEND_IO_TIMEOUT =
      PREPARE_TIMEOUT.multipliedBy(2).plus(STEP_TIMEOUT.multipliedBy(4));

  /** The I/O deadline of git work: the sandbox's answer within {@link #PREPARE_TIMEOUT}. */
  static final Duration GIT_WORK_IO_TIMEOUT = PREPARE_TIMEOUT.plus(STEP_TIMEOUT);

  private final TaskScope scope;

  TaskSandbox(TaskScope scope) {
    this.scope = scope;
  }

  /**
   * The second step of creating a task: provision its sandbox, open the first session and deliver
   * the task's prompt as its first message, always (upstream drops it, spec §12.1). A failure is
   * told where the user looks: the first session ends in {@code error} with the reason, and a
   * message sent to it later tries again. A runtime without sandboxes only completes the status.
   */
  Decision<Boolean> provision(Provision cmd, TaskTables tables) {
    if (!tables.status().initializing()) {
      return Decision.reply(false);
    }
    if (!scope.runsSandboxes()) {
      return Decision.<Boolean>persist(initialized(scope.now())).thenReply(() -> true);
    }
    TaskOwner owner = tables.owner();
    // Derived from the command id, so a provision run again after a crash reuses the session.
    String sessionId =
        "session-" + UUID.nameUUIDFromBytes(scope.commandId().getBytes(StandardCharsets.UTF_8));
    CompletionStage<String> userModel =
        tables.model() != null || owner == null
            ? CompletableFuture.completedFuture(tables.model())
            : TaskReads.userProfile(scope.runtime(), owner.userId())
                .thenApply(p -> p == null ? null : p.defaultModel());
    String ownerId = owner == null ? null : owner.userId();
    return Decision.after(
        userModel,
        preferred -> {
          String model = blank(preferred) ? WorkspaceModels.DEFAULT_MODEL_ID : preferred;
          CompletionStage<Prepared> io =
              prepare(tables.repoRemote(), tables.branchName(), owner)
                  .thenCompose(
                      view ->
                          send(sessionId, model, tables.prompt(), sessionId + "/prompt")
                              .thenApply(started -> new Prepared(view, started.agent())));
          return Decision.after(
              PREPARE_AND_SEND_IO_TIMEOUT,
              io,
              prepared -> {
                long at = scope.now();
                List<Event> events = new ArrayList<>();
                events.add(attached(prepared.view(), at));
                events.add(
                    new SessionCreated(
                        sessionId, "Session 1", model, WorkspaceSessionStatus.READY, ownerId, at));
                if (prepared.agent() != null) {
                  events.add(new SessionAgentRecorded(sessionId, prepared.agent(), at));
                }
                events.add(new SessionReady(sessionId, sessionId, at));
                events.add(
                    new SessionStatusSynced(
                        sessionId, at, WorkspaceSessionStatus.READY, null, at, false));
                events.addAll(initialized(at));
                return Decision.<Boolean>persist(events).thenReply(() -> true);
              },
              failure -> {
                long at = scope.now();
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
                return Decision.<Boolean>persist(events).thenReply(() -> false);
              });
        });
  }

  private record Prepared(SandboxView view, String agent) {}

  /** The task is ready: its status, and the audit entry of that. */
  List<Event> initialized(long at) {
    return List.of(
        new StatusChanged(TaskStatus.INIT_COMPLETE, at),
        new LifecycleRecorded(
            "task.initialized", Map.of("sandboxProviderId", "local"), scope.commandId(), at));
  }

  private static SandboxAttached attached(SandboxView view, long at) {
    return new SandboxAttached(
        view.sandboxId(),
        view.providerId(),
        view.baseUrl(),
        view.repository() == null ? view.workDir() : view.repository().dir(),
        at);
  }

  Decision<String> sendMessage(SendMessage cmd, TaskTables tables) {
    if (blank(cmd.text())) {
      return Decision.reject("invalid_message", "message text is required");
    }
    if (!scope.runsSandboxes()) {
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
            ? TaskReads.userProfile(scope.runtime(), cmd.userId())
                .thenApply(p -> TaskOwner.of(cmd.userId(), p))
            : CompletableFuture.completedFuture(current);
    boolean attached = tables.sandboxUrl() != null;
    String messageId = "message-" + scope.commandId();
    CompletionStage<Sent> io =
        owner.thenCompose(
            o ->
                // Credentials are (re)written when the sandbox is new or its owner changes.
                prepare(tables.repoRemote(), tables.branchName(), swap || !attached ? o : null)
                    .thenCompose(
                        view ->
                            send(cmd.sessionId(), session.model(), cmd.text(), messageId)
                                .thenApply(started -> new Sent(view, o, started))));
    return Decision.after(
        PREPARE_AND_SEND_IO_TIMEOUT,
        io,
        sent -> {
          long at = scope.now();
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
          recordAgent(tables, cmd.sessionId(), sent.started().agent(), at, events);
          events.add(
              new SessionStatusSynced(
                  cmd.sessionId(), at, WorkspaceSessionStatus.READY, null, at, false));
          events.addAll(
              TaskSessions.statusFollowing(
                  tables, cmd.sessionId(), true, WorkspaceSessionStatus.READY, at));
          events.add(new MessageSent(cmd.sessionId(), cmd.userId(), sent.started().turnId(), at));
          return Decision.<String>persist(events).thenReply(() -> sent.started().turnId());
        },
        failure -> rejectFromSandbox("message_not_sent", failure));
  }

  private record Sent(SandboxView view, TaskOwner owner, Started started) {}

  Decision<Boolean> stopSession(StopSession cmd, TaskTables tables) {
    if (tables.sandboxUrl() == null || !scope.runsSandboxes()) {
      return Decision.reply(false);
    }
    return Decision.after(
        scope.sandboxRef().ask(new SandboxProtocol.StopTurn(cmd.sessionId())),
        Decision::reply,
        failure -> rejectFromSandbox("stop_failed", failure));
  }

  Decision<Boolean> syncGitState(SyncGitState cmd, TaskTables tables) {
    if (cmd.state() == null) {
      return Decision.reject("invalid_git_state", "a git state is required");
    }
    return Decision.<Boolean>persist(gitStateSynced(cmd.state(), scope.now()))
        .thenReply(() -> true);
  }

  Decision<List<WorkspaceFileChange>> revertFile(RevertFile cmd, TaskTables tables) {
    return Decision.after(
        scope.sandboxRef().ask(new SandboxProtocol.RevertFile(cmd.path())),
        state -> {
          GitStateSynced synced = gitStateSynced(state, scope.now());
          return Decision.<List<WorkspaceFileChange>>persist(synced).thenReply(synced::fileChanges);
        },
        failure -> rejectFromSandbox("git_revert_failed", failure));
  }

  /** Push, sync or merge in the sandbox; a git failure reaches the caller with git's words. */
  Decision<Boolean> gitWork(
      SandboxProtocol.Command<GitState> work, String kind, String reason, String userId) {
    return Decision.after(
        GIT_WORK_IO_TIMEOUT,
        scope.sandboxRef().ask(work, PREPARE_TIMEOUT),
        state -> {
          long at = scope.now();
          return Decision.<Boolean>persist(
                  gitStateSynced(state, at),
                  new LifecycleRecorded(kind, reasonPayload(reason, userId), scope.commandId(), at))
              .thenReply(() -> true);
        },
        failure -> {
          // Recorded in the audit log (the task's history) and said to the caller; a sandbox whose
          // git hung past its deadline says io_timeout in the message.
          String code =
              Failures.cause(failure) instanceof CommandRejectedException r
                  ? r.code()
                  : kind.replace("task.", "git_") + "_failed";
          String message = Failures.message(failure);
          Map<String, Object> payload = new LinkedHashMap<>(reasonPayload(reason, userId));
          payload.put("code", code);
          payload.put("error", message);
          return Decision.<Boolean>persist(
                  new LifecycleRecorded(kind + "_failed", payload, scope.commandId(), scope.now()))
              .thenReject(code, message);
        });
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

  /** The sandbox's own rejection (its code and message) or, for anything else, {@code code}. */
  private static <R> Decision<R> rejectFromSandbox(String code, Throwable failure) {
    if (Failures.cause(failure) instanceof CommandRejectedException rejected) {
      return Decision.reject(rejected.code(), rejected.getMessage());
    }
    return Decision.reject(code, Failures.message(failure));
  }

  /** A failure as the user reads it: a refusal with its code ({@code sandbox_limit_reached}). */
  private static String reason(Throwable failure) {
    return Failures.cause(failure) instanceof CommandRejectedException rejected
        ? rejected.code() + ": " + rejected.getMessage()
        : Failures.message(failure);
  }

  /** The audit payload of a lifecycle command: {@code reason} and the acting {@code userId}. */
  static Map<String, Object> reasonPayload(String reason, String userId) {
    Map<String, Object> payload = new LinkedHashMap<>();
    if (reason != null) {
      payload.put("reason", reason);
    }
    if (userId != null) {
      payload.put("userId", userId);
    }
    return payload;
  }

  // --- the chain of asks that makes the sandbox ready for a message

  /**
   * Provisions the sandbox, writes the owner's git credentials and identity when {@code owner} is
   * given, then clones the repository on the task's branch. The credentials come before the clone
   * so that a private repository clones with the owner's token; each step waits for the one before
   * (an owner change restarts the sandbox server inside {@code StoreGitCredentials}, which writes
   * the credentials again after the restart, before the clone runs).
   */
  private CompletionStage<SandboxView> prepare(String remoteUrl, String branch, TaskOwner owner) {
    DurableRef<SandboxProtocol.Command<?>> ref = scope.sandboxRef();
    String keysOf = owner == null ? null : owner.userId();
    return ref.ask(new SandboxProtocol.Provision(scope.address().repoId(), keysOf), PREPARE_TIMEOUT)
        .thenCompose(
            v ->
                owner == null || owner.userId() == null
                    ? CompletableFuture.<Void>completedFuture(null)
                    : ref.ask(
                        new SandboxProtocol.StoreGitCredentials(
                            owner.userId(), owner.login(), owner.email()),
                        STEP_TIMEOUT))
        .thenCompose(
            v -> ref.ask(new SandboxProtocol.CloneRepository(remoteUrl, branch), PREPARE_TIMEOUT))
        .thenCompose(v -> ref.query(new SandboxProtocol.GetSandbox()));
  }

  /**
   * Opens the session if it is not open yet, then starts the turn; completes with the agent that
   * runs the session and the turn's id.
   */
  private CompletionStage<Started> send(
      String sessionId, String model, String text, String messageId) {
    DurableRef<SandboxProtocol.Command<?>> ref = scope.sandboxRef();
    return ref.ask(new SandboxProtocol.CreateSession(sessionId, null, model), STEP_TIMEOUT)
        .thenCompose(
            session ->
                ref.ask(new SandboxProtocol.SendMessage(sessionId, text, messageId), STEP_TIMEOUT)
                    .thenApply(turnId -> new Started(session.agent(), turnId)));
  }

  private record Started(String agent, String turnId) {}

  /** The agent that runs the session, recorded when the task does not know it yet or it changed. */
  private static void recordAgent(
      TaskTables tables, String sessionId, String agent, long at, List<Event> events) {
    if (agent == null) {
      return;
    }
    var known = tables.sessionAgent(sessionId);
    if (!agent.equals(known)) {
      events.add(new SessionAgentRecorded(sessionId, agent, at));
    }
  }
}
