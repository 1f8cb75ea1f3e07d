package dev.foundry.backend.sandbox;

import static dev.foundry.backend.sandbox.SandboxScope.blank;
import static dev.foundry.backend.sandbox.SandboxScope.now;

import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.SandboxProtocol.ChangeModel;
import dev.foundry.backend.protocol.SandboxProtocol.CloneRepository;
import dev.foundry.backend.protocol.SandboxProtocol.CloseSession;
import dev.foundry.backend.protocol.SandboxProtocol.Command;
import dev.foundry.backend.protocol.SandboxProtocol.CreateSession;
import dev.foundry.backend.protocol.SandboxProtocol.Destroy;
import dev.foundry.backend.protocol.SandboxProtocol.FinishTurn;
import dev.foundry.backend.protocol.SandboxProtocol.GetGitState;
import dev.foundry.backend.protocol.SandboxProtocol.GetProcesses;
import dev.foundry.backend.protocol.SandboxProtocol.GetSandbox;
import dev.foundry.backend.protocol.SandboxProtocol.GetSession;
import dev.foundry.backend.protocol.SandboxProtocol.ListProcesses;
import dev.foundry.backend.protocol.SandboxProtocol.ListSessions;
import dev.foundry.backend.protocol.SandboxProtocol.MergeBranch;
import dev.foundry.backend.protocol.SandboxProtocol.ProcessLogs;
import dev.foundry.backend.protocol.SandboxProtocol.Provision;
import dev.foundry.backend.protocol.SandboxProtocol.PushBranch;
import dev.foundry.backend.protocol.SandboxProtocol.Reattach;
import dev.foundry.backend.protocol.SandboxProtocol.RecordSessionEnded;
import dev.foundry.backend.protocol.SandboxProtocol.RecordSessionUpdate;
import dev.foundry.backend.protocol.SandboxProtocol.RecordSessionUpdates;
import dev.foundry.backend.protocol.SandboxProtocol.RefreshGitState;
import dev.foundry.backend.protocol.SandboxProtocol.RevertFile;
import dev.foundry.backend.protocol.SandboxProtocol.SendMessage;
import dev.foundry.backend.protocol.SandboxProtocol.StartProcess;
import dev.foundry.backend.protocol.SandboxProtocol.StopProcess;
import dev.foundry.backend.protocol.SandboxProtocol.StopTurn;
import dev.foundry.backend.protocol.SandboxProtocol.StoreGitCredentials;
import dev.foundry.backend.protocol.SandboxProtocol.SyncBranch;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.sandbox.SandboxEvents.Event;
import dev.foundry.backend.sandbox.SandboxEvents.ProcessStarted;
import dev.foundry.backend.sandbox.SandboxEvents.ProcessStopped;
import dev.foundry.backend.sandbox.SandboxEvents.SandboxDestroyed;
import dev.foundry.backend.sandbox.SandboxEvents.SandboxProvisioned;
import dev.foundry.backend.sandbox.SandboxEvents.SandboxReattached;
import dev.foundry.backend.sandbox.SandboxEvents.SessionStatusChanged;
import dev.foundry.backend.sandbox.SandboxTables.SandboxRow;
import dev.foundry.backend.sandbox.SandboxTables.SessionRow;
import dev.foundry.sandbox.acp.AcpInstanceEnd;
import dev.foundry.sandbox.process.ProcessInfo;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.SandboxState;
import dev.foundry.shared.sandbox.SandboxView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One task's sandbox (spec §8): the handler table, the sandbox's lifecycle (provision, reattach
 * after a restart, destroy) and its processes. Sessions and turns are {@link SandboxSessions}, the
 * repository and git work {@link SandboxRepository}; they share a {@link SandboxScope}. Every
 * command's I/O runs off the actor thread. An agent turn never holds the queue: {@link SendMessage}
 * starts the turn and completes at once; the turn's updates and its end come back as {@link
 * RecordSessionUpdate}s and {@link FinishTurn}, sent to this actor by the session's listener
 * through {@link ListenerDeliveries} (in order, and not lost to the actor's admission bound). What
 * the events imply for the task and for realtime subscribers is {@link SandboxBroadcasts}.
 */
public final class SandboxActor extends DurableActor<Command<?>, Event, SandboxTables> {

  public static final ActorKind<Command<?>, Event, SandboxTables> KIND =
      ActorKind.bind(SandboxProtocol.TYPE, Event.class, SandboxTables::new, SandboxActor::new);

  /** The code of a provision refused by the live sandbox limits (HTTP 429). */
  public static final String SANDBOX_LIMIT_REACHED = "sandbox_limit_reached";

  static final String BACKEND_RESTARTED = "backend restarted during the turn";

  /**
   * The I/O deadline of making a sandbox and of cloning into it (slow for a big repository),
   * instead of the runtime's {@code foundry.runtime.io-timeout}; the task waits as long for either.
   */
  static final Duration LONG_WORK_IO_TIMEOUT = Duration.ofMinutes(10);

  /** At most this long per agent instance a dead backend left behind (usually a few polls). */
  private static final Duration ORPHANED_AGENT_END_WAIT = Duration.ofSeconds(2);

  private final SandboxScope scope;
  private final SandboxSessions sessions;
  private final SandboxRepository repository;
  private final SandboxOwner owner;
  private final SandboxBroadcasts broadcasts;

  private SandboxActor(ActorSetup<SandboxTables> setup) {
    super(setup);
    this.scope = new SandboxScope(setup, this::commandId);
    this.sessions = new SandboxSessions(scope);
    this.repository = new SandboxRepository(scope);
    this.owner = new SandboxOwner(scope);
    this.broadcasts = new SandboxBroadcasts(scope.address, setup.runtime(), setup.hub());
    if (scope.live.firstActivation()) {
      // After a restart, sessions that were mid-turn are not running any more and the sandbox's
      // handle is gone: find out, and say so, before anyone has to ask.
      scope.reattachSoon(new Reattach());
    }
  }

  @Override
  protected void handlers(Handlers<Command<?>, SandboxTables> on) {
    on.command(Provision.class, this::provision)
        .command(Reattach.class, this::reattach)
        .command(Destroy.class, this::destroy)
        .command(StartProcess.class, this::startProcess)
        .command(StopProcess.class, this::stopProcess)
        .command(CloneRepository.class, repository::cloneRepository)
        .command(StoreGitCredentials.class, owner::storeGitCredentials)
        .command(RefreshGitState.class, repository::refreshGitState)
        .command(RevertFile.class, repository::revertFile)
        .command(PushBranch.class, repository::pushBranch)
        .command(SyncBranch.class, repository::syncBranch)
        .command(MergeBranch.class, repository::mergeBranch)
        .command(CreateSession.class, sessions::createSession)
        .command(RecordSessionUpdate.class, sessions::recordSessionUpdate)
        .command(RecordSessionUpdates.class, sessions::recordSessionUpdates)
        .command(FinishTurn.class, sessions::finishTurn)
        .command(RecordSessionEnded.class, sessions::recordSessionEnded)
        .command(StopTurn.class, sessions::stopTurn)
        .query(GetSandbox.class, (q, t) -> t.view())
        .query(ListSessions.class, (q, t) -> t.sessionViews())
        .query(GetSession.class, (q, t) -> t.sessionDetail(q.sessionId()))
        .query(GetGitState.class, (q, t) -> t.gitState())
        .query(GetProcesses.class, (q, t) -> t.processes())
        .query(
            ListProcesses.class,
            (q, t) -> scope.attached().thenCompose(sb -> sb.client().processes().list()))
        .query(
            ProcessLogs.class,
            (q, t) ->
                scope
                    .attached()
                    .thenCompose(sb -> sb.client().processes().logs(q.processId(), null, 0)));
    on.inState(SandboxSessions::sessionOpen)
        .command(SendMessage.class, sessions::sendMessage)
        .command(ChangeModel.class, sessions::changeModel);
    on.inState(SandboxSessions::sessionExists).command(CloseSession.class, sessions::closeSession);
  }

  /**
   * A turn streams into this actor outside its queue (its updates arrive as later commands), so a
   * crash mid-turn leaves no queued command behind. Without this the actor would stay asleep after
   * a restart, and the session would show {@code running} until someone addressed the sandbox;
   * woken at start, its first activation ends the turn truthfully ({@link #BACKEND_RESTARTED}).
   */
  @Override
  protected boolean wakeAtStart(SandboxTables t) {
    return t.anySessionRunning();
  }

  // Lifecycle -------------------------------------------------------------------------------------

  private Decision<SandboxView> provision(Provision cmd, SandboxTables t) {
    SandboxRow row = t.sandbox();
    if (row != null) {
      return row.destroyed()
          ? scope.destroyedRejection()
          : scope.withSandbox(t, sb -> Decision.reply(t.view()));
    }
    String sandboxId = scope.address.taskId();
    SandboxSpec spec;
    try {
      spec = SandboxSpec.of(sandboxId);
    } catch (IllegalArgumentException e) {
      return Decision.reject("invalid_sandbox_id", e.getMessage());
    }
    Optional<String> refused = scope.host.reserve(scope.address.organizationId(), sandboxId);
    if (refused.isPresent()) {
      return Decision.reject(SANDBOX_LIMIT_REACHED, refused.get());
    }
    SandboxProvider provider = scope.host.provider();
    String owner = blank(cmd.ownerUserId()) ? null : cmd.ownerUserId();
    CompletionStage<Map<String, String>> keys =
        owner == null
            ? CompletableFuture.completedFuture(Map.of())
            : scope.host.agentKeys().keysFor(owner);
    // At least once: a provision repeated after a crash finds the sandbox it already made.
    CompletionStage<Sandbox> io =
        provider
            .state(sandboxId)
            .thenCompose(
                state ->
                    state == SandboxState.NOT_FOUND
                        ? keys.thenCompose(env -> provider.create(spec.withEnv(env)))
                        : provider.connect(sandboxId))
            .whenComplete(
                (sb, failure) -> {
                  if (failure != null) {
                    scope.host.released(sandboxId); // nothing was made: the slot is free again
                  }
                });
    return Decision.after(
        LONG_WORK_IO_TIMEOUT,
        io,
        sb -> {
          scope.attach(sb);
          scope.live.provisionedHere = true;
          return Decision.<SandboxView>persist(
                  new SandboxProvisioned(
                      provider.id(),
                      sandboxId,
                      sb.endpoint().baseUri().toString(),
                      sb.homeDir(),
                      sb.workDir(),
                      now(),
                      blank(cmd.repoId()) ? null : cmd.repoId(),
                      owner))
              .thenReply(t::view);
        });
  }

  private Decision<Void> reattach(Reattach cmd, SandboxTables t) {
    SandboxRow row = t.sandbox();
    if (row != null && !row.destroyed()) {
      scope.host.counted(scope.address.organizationId(), row.sandboxId());
    }
    if (row == null || row.destroyed() || scope.live.provisionedHere) {
      // Nothing to reattach, but a turn the tables call running may still have died with the old
      // process (a Provision queued ahead of this Reattach sets provisionedHere): end it, or the
      // session shows running and the actor stays listed for waking at every start.
      List<Event> events = sessions.interruptedTurns(t);
      return events.isEmpty() ? Decision.reply(null) : Decision.persist(events);
    }
    CompletionStage<Sandbox> io =
        (scope.live.sandbox != null
                ? CompletableFuture.completedFuture(scope.live.sandbox)
                : scope.host.provider().connect(row.sandboxId()))
            .thenCompose(sb -> endOrphanedAgents(sb).thenApply(n -> sb));
    return Decision.after(
        io,
        sb -> {
          scope.attach(sb);
          List<Event> events = new ArrayList<>();
          events.add(new SandboxReattached(sb.endpoint().baseUri().toString(), now()));
          events.addAll(sessions.interruptedTurns(t));
          return Decision.persist(events);
        },
        failure -> {
          // The sandbox is gone (and cannot be recreated): the sessions still have to end
          // truthfully.
          log()
              .warn(
                  "sandbox {} cannot be reattached: {}", key(), Failures.cause(failure).toString());
          List<Event> events = sessions.interruptedTurns(t);
          return events.isEmpty() ? Decision.reply(null) : Decision.persist(events);
        });
  }

  /**
   * Ends the agent instances a dead backend left in the server (their turns cannot report to
   * anyone). sandbox-agent 0.4.2 answers a DELETE of a live instance only when the client gives up:
   * {@link AcpInstanceEnd} gives up once the instance is unlisted, so the reattach does not wait
   * out the deadline (it did: 2 s per reattach after every crash mid-turn).
   */
  private CompletionStage<Integer> endOrphanedAgents(Sandbox sb) {
    Set<String> ours = new HashSet<>();
    scope.live.sessions.values().forEach(s -> ours.add(s.serverId()));
    return sb.client()
        .acpServers()
        .thenCompose(
            servers -> {
              List<CompletableFuture<?>> deletes = new ArrayList<>();
              for (var server : servers) {
                if (ours.contains(server.serverId())) {
                  continue;
                }
                deletes.add(
                    AcpInstanceEnd.delete(
                            sb.client().http(), server.serverId(), ORPHANED_AGENT_END_WAIT)
                        .handle((r, failure) -> null));
              }
              return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
                  .thenApply(v -> deletes.size());
            })
        .exceptionally(failure -> 0); // best effort: a listing failure must not block reattach
  }

  private Decision<Void> destroy(Destroy cmd, SandboxTables t) {
    SandboxRow row = t.sandbox();
    if (row == null || row.destroyed()) {
      return Decision.reply(null);
    }
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    scope.live.sessions.values().forEach(s -> closing.add(s.closeAsync()));
    CompletionStage<Void> io =
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
            .thenCompose(v -> scope.host.provider().destroy(row.sandboxId()));
    return Decision.after(
        io,
        v -> {
          scope.live.sessions.clear();
          scope.live.turns.clear();
          Sandbox sb = scope.live.sandbox;
          scope.live.sandbox = null;
          if (sb != null) {
            sb.close();
          }
          List<Event> events = new ArrayList<>();
          for (SessionRow s : t.sessions()) {
            if (!"closed".equals(s.status())) {
              events.add(
                  new SessionStatusChanged(s.sessionId(), "closed", s.turnId(), null, now()));
            }
          }
          events.add(new SandboxDestroyed(now()));
          scope.host.released(row.sandboxId());
          return Decision.persist(events);
        });
  }

  // Processes -------------------------------------------------------------------------------------

  private Decision<ProcessInfo> startProcess(StartProcess cmd, SandboxTables t) {
    if (blank(cmd.command())) {
      return Decision.reject("invalid_process", "command is required");
    }
    List<String> args = cmd.args() == null ? List.of() : cmd.args();
    return scope.withSandbox(
        t,
        sb -> {
          String cwd = blank(cmd.cwd()) ? sb.workDir() : cmd.cwd();
          return Decision.after(
              sb.client().processes().start(ProcessRequest.of(cmd.command(), args).withCwd(cwd)),
              info ->
                  Decision.<ProcessInfo>persist(
                          new ProcessStarted(info.id(), cmd.command(), args, cwd, now()))
                      .thenReply(() -> info));
        });
  }

  private Decision<ProcessInfo> stopProcess(StopProcess cmd, SandboxTables t) {
    return scope.withSandbox(
        t,
        sb ->
            Decision.after(
                sb.client().processes().stop(cmd.processId(), Duration.ofSeconds(5)),
                info ->
                    Decision.<ProcessInfo>persist(new ProcessStopped(cmd.processId(), now()))
                        .thenReply(() -> info)));
  }

  // After apply -----------------------------------------------------------------------------------

  @Override
  protected List<Outbound.Tell> durableTells(List<Event> events, SandboxTables tables) {
    return broadcasts.reportsToTask(events, tables);
  }

  @Override
  protected void afterApply(List<Event> events, SandboxTables tables) {
    broadcasts.publish(events, tables);
  }
}
