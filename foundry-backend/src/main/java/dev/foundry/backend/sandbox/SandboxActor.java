package dev.foundry.backend.sandbox;

import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import dev.foundry.backend.protocol.SandboxProtocol.RefreshGitState;
import dev.foundry.backend.protocol.SandboxProtocol.RevertFile;
import dev.foundry.backend.protocol.SandboxProtocol.SendMessage;
import dev.foundry.backend.protocol.SandboxProtocol.StartProcess;
import dev.foundry.backend.protocol.SandboxProtocol.StopProcess;
import dev.foundry.backend.protocol.SandboxProtocol.StopTurn;
import dev.foundry.backend.protocol.SandboxProtocol.StoreGitCredentials;
import dev.foundry.backend.protocol.SandboxProtocol.SyncBranch;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.sandbox.SandboxHost.RunningTurn;
import dev.foundry.backend.sandbox.SandboxTables.SandboxRow;
import dev.foundry.backend.sandbox.SandboxTables.SessionRow;
import dev.foundry.sandbox.git.GitCredentials;
import dev.foundry.sandbox.git.SandboxGit;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.SandboxState;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.AgentTurn;
import dev.foundry.sandbox.session.PermissionHandler;
import dev.foundry.sandbox.session.SessionListener;
import dev.foundry.sandbox.session.SessionUpdate;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.sandbox.ProcessRecord;
import dev.foundry.shared.sandbox.RepositoryView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One task's sandbox (spec §8). Provisioning, cloning, credentials, sessions and processes are
 * commands whose I/O runs off the actor thread. An agent turn never holds the queue: {@link
 * SendMessage} starts the turn and completes at once; the turn's updates and its end come back as
 * {@link RecordSessionUpdate} and {@link FinishTurn}, sent to this actor by the session's listener.
 */
public final class SandboxActor
    extends DurableActor<SandboxProtocol.Command<?>, SandboxActor.Event, SandboxTables> {

  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, SandboxTables> KIND =
      ActorKind.bind(SandboxProtocol.TYPE, Event.class, SandboxTables::new, SandboxActor::new);

  static final String BACKEND_RESTARTED = "backend restarted during the turn";

  // 3. Events ----------------------------------------------------------------------------------

  public sealed interface Event extends DurableEvent {}

  @JsonTypeName("sandbox.provisioned")
  public record SandboxProvisioned(
      String providerId,
      String sandboxId,
      String baseUrl,
      String homeDir,
      String workDir,
      long at,
      String repoId)
      implements Event {}

  @JsonTypeName("sandbox.reattached")
  public record SandboxReattached(String baseUrl, long at) implements Event {}

  @JsonTypeName("sandbox.repository-cloned")
  public record RepositoryCloned(
      String remoteUrl, String branch, String headCommit, String dir, long at) implements Event {}

  @JsonTypeName("sandbox.git-credentials-stored")
  public record GitCredentialsStored(
      String ownerUserId, String login, String email, List<String> hosts, long at)
      implements Event {}

  @JsonTypeName("sandbox.session-created")
  public record SessionCreated(String sessionId, String agent, String model, String cwd, long at)
      implements Event {}

  /** {@code sender}: client (the user's message), agent (an update), system (turn end). */
  @JsonTypeName("sandbox.transcript-entry-appended")
  public record TranscriptEntryAppended(
      String sessionId, String turnId, String sender, String kind, String payloadJson, long at)
      implements Event {}

  /** {@code status}: idle, running, error, closed. */
  @JsonTypeName("sandbox.session-status-changed")
  public record SessionStatusChanged(
      String sessionId, String status, String turnId, String errorMessage, long at)
      implements Event {}

  @JsonTypeName("sandbox.session-model-changed")
  public record SessionModelChanged(String sessionId, String model, long at) implements Event {}

  @JsonTypeName("sandbox.git-state-refreshed")
  public record GitStateRefreshed(GitState state, long at) implements Event {}

  @JsonTypeName("sandbox.file-reverted")
  public record FileReverted(String path, long at) implements Event {}

  @JsonTypeName("sandbox.branch-pushed")
  public record BranchPushed(String branch, String headCommit, long at) implements Event {}

  /** The branch was rebased onto {@code base} at {@code baseCommit}. */
  @JsonTypeName("sandbox.branch-synced")
  public record BranchSynced(String base, String baseCommit, String headCommit, long at)
      implements Event {}

  /** The branch's head {@code headCommit} was pushed to the remote's {@code base}. */
  @JsonTypeName("sandbox.branch-merged")
  public record BranchMerged(String base, String headCommit, long at) implements Event {}

  @JsonTypeName("sandbox.process-started")
  public record ProcessStarted(
      String processId, String command, List<String> args, String cwd, long at) implements Event {}

  @JsonTypeName("sandbox.process-stopped")
  public record ProcessStopped(String processId, long at) implements Event {}

  @JsonTypeName("sandbox.destroyed")
  public record SandboxDestroyed(long at) implements Event {}

  // Realtime payloads --------------------------------------------------------------------------

  /**
   * The task actor owns the {@code session} topic's {@code sessionUpdated} (metadata); the sandbox
   * adds {@code transcriptUpdated} there with only the entries a command appended, so a long turn
   * does not resend its whole transcript with every streamed update.
   */
  public static final String SESSION_TOPIC = "session";

  public static final String PROCESSES_TOPIC = "sandboxProcesses";

  /** The new transcript entries of one session, plus its sandbox-side status. */
  public record TranscriptUpdated(
      String type,
      String sessionId,
      String status,
      String errorMessage,
      List<SandboxProtocol.TranscriptEntry> entries) {
    public static final String TYPE = "transcriptUpdated";
  }

  public record ProcessesUpdated(String type, List<ProcessRecord> processes) {
    public static final String TYPE = "processesUpdated";
  }

  // 5. Handlers --------------------------------------------------------------------------------

  private static final ObjectMapper JSON = new ObjectMapper();

  /** For callbacks off the actor thread, where the actor context's logger must not be used. */
  private static final org.slf4j.Logger LISTENER_LOG =
      org.slf4j.LoggerFactory.getLogger(SandboxActor.class);

  private final SandboxHost host;
  private final SandboxHost.Live live;
  private final DurableRef<Command<?>> self;

  private SandboxActor(ActorSetup<SandboxTables> setup) {
    super(setup);
    this.host = SandboxHost.get(setup.runtime().system());
    this.live = host.live(setup.key());
    this.self = setup.runtime().get(SandboxProtocol.TYPE, setup.key());
    if (live.firstActivation()) {
      // After a restart, sessions that were mid-turn are not running any more and the sandbox's
      // handle is gone: find out, and say so, before anyone has to ask.
      self.tell(new Reattach())
          .whenComplete(
              (id, failure) -> {
                if (failure != null) {
                  LISTENER_LOG.debug(
                      "reattach of {} not queued: {}", setup.key(), failure.toString());
                }
              });
    }
  }

  @Override
  protected void handlers(Handlers<Command<?>, SandboxTables> on) {
    on.command(Provision.class, this::provision)
        .command(Reattach.class, this::reattach)
        .command(CloneRepository.class, this::cloneRepository)
        .command(StoreGitCredentials.class, this::storeGitCredentials)
        .command(CreateSession.class, this::createSession)
        .command(SendMessage.class, this::sendMessage)
        .command(RecordSessionUpdate.class, this::recordSessionUpdate)
        .command(FinishTurn.class, this::finishTurn)
        .command(RecordSessionEnded.class, this::recordSessionEnded)
        .command(StopTurn.class, this::stopTurn)
        .command(ChangeModel.class, this::changeModel)
        .command(CloseSession.class, this::closeSession)
        .command(StartProcess.class, this::startProcess)
        .command(StopProcess.class, this::stopProcess)
        .command(RefreshGitState.class, this::refreshGitState)
        .command(RevertFile.class, this::revertFile)
        .command(PushBranch.class, this::pushBranch)
        .command(SyncBranch.class, this::syncBranch)
        .command(MergeBranch.class, this::mergeBranch)
        .command(Destroy.class, this::destroy)
        .query(GetSandbox.class, (q, t) -> t.view())
        .query(ListSessions.class, (q, t) -> t.sessionViews())
        .query(GetSession.class, (q, t) -> t.sessionDetail(q.sessionId()))
        .query(GetGitState.class, (q, t) -> t.gitState())
        .query(GetProcesses.class, (q, t) -> t.processes())
        .query(
            ListProcesses.class,
            (q, t) -> attached().thenCompose(sb -> sb.client().processes().list()))
        .query(
            ProcessLogs.class,
            (q, t) ->
                attached().thenCompose(sb -> sb.client().processes().logs(q.processId(), null, 0)));
  }

  // --- lifecycle

  private Decision provision(Provision cmd, SandboxTables t) {
    SandboxRow row = t.sandbox();
    if (row != null) {
      return row.destroyed()
          ? destroyedRejection()
          : withSandbox(t, sb -> Decision.reply(t.view()));
    }
    String sandboxId = taskId();
    SandboxSpec spec;
    try {
      spec = SandboxSpec.of(sandboxId);
    } catch (IllegalArgumentException e) {
      return Decision.reject("invalid_sandbox_id", e.getMessage());
    }
    SandboxProvider provider = host.provider();
    // At least once: a provision repeated after a crash finds the sandbox it already made.
    CompletionStage<Sandbox> io =
        provider
            .state(sandboxId)
            .thenCompose(
                state ->
                    state == SandboxState.NOT_FOUND
                        ? provider.create(spec)
                        : provider.connect(sandboxId));
    return Decision.after(
        io,
        sb -> {
          attach(sb);
          live.provisionedHere = true;
          return Decision.persist(
                  new SandboxProvisioned(
                      provider.id(),
                      sandboxId,
                      sb.endpoint().baseUri().toString(),
                      sb.homeDir(),
                      sb.workDir(),
                      now(),
                      blank(cmd.repoId()) ? null : cmd.repoId()))
              .thenReply(t::view);
        });
  }

  private Decision reattach(Reattach cmd, SandboxTables t) {
    SandboxRow row = t.sandbox();
    if (row == null || row.destroyed() || live.provisionedHere) {
      return Decision.reply(null);
    }
    CompletionStage<Sandbox> io =
        (live.sandbox != null
                ? CompletableFuture.completedFuture(live.sandbox)
                : host.provider().connect(row.sandboxId()))
            .thenCompose(sb -> endOrphanedAgents(sb).thenApply(n -> sb));
    return Decision.after(
        io,
        sb -> {
          attach(sb);
          List<Event> events = new ArrayList<>();
          events.add(new SandboxReattached(sb.endpoint().baseUri().toString(), now()));
          events.addAll(interruptedTurns(t));
          return Decision.persist(events);
        },
        failure -> {
          // The sandbox is gone (and cannot be recreated): the sessions still have to end
          // truthfully.
          log().warn("sandbox {} cannot be reattached: {}", key(), cause(failure).toString());
          List<Event> events = interruptedTurns(t);
          return events.isEmpty() ? Decision.reply(null) : Decision.persist(events);
        });
  }

  /**
   * Ends the agent instances a dead backend left in the server (their turns cannot report to
   * anyone). sandbox-agent 0.4.2 answers a DELETE of a live instance only when the client gives up,
   * so the short deadline is expected.
   */
  private CompletionStage<Integer> endOrphanedAgents(Sandbox sb) {
    Set<String> ours = new java.util.HashSet<>();
    live.sessions.values().forEach(s -> ours.add(s.serverId()));
    return sb.client()
        .acpServers()
        .thenCompose(
            servers -> {
              List<CompletableFuture<?>> deletes = new ArrayList<>();
              for (var server : servers) {
                if (ours.contains(server.serverId())) {
                  continue;
                }
                var http = sb.client().http();
                deletes.add(
                    http.send(
                            "end orphaned ACP " + server.serverId(),
                            http.request("/v1/acp/" + server.serverId())
                                .timeout(Duration.ofSeconds(2))
                                .DELETE()
                                .build())
                        .handle((r, failure) -> null));
              }
              return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
                  .thenApply(v -> deletes.size());
            })
        .exceptionally(failure -> 0); // best effort: a listing failure must not block reattach
  }

  /** Sessions the tables say are running whose turn is not live in this process. */
  private List<Event> interruptedTurns(SandboxTables t) {
    List<Event> events = new ArrayList<>();
    for (SessionRow s : t.sessions()) {
      if ("running".equals(s.status()) && !live.turns.containsKey(s.sessionId())) {
        events.add(interrupted(s));
      }
    }
    return events;
  }

  private Event interrupted(SessionRow s) {
    return new SessionStatusChanged(s.sessionId(), "error", s.turnId(), BACKEND_RESTARTED, now());
  }

  private Decision destroy(Destroy cmd, SandboxTables t) {
    SandboxRow row = t.sandbox();
    if (row == null || row.destroyed()) {
      return Decision.reply(null);
    }
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    live.sessions.values().forEach(s -> closing.add(s.closeAsync()));
    CompletionStage<Void> io =
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
            .thenCompose(v -> host.provider().destroy(row.sandboxId()));
    return Decision.after(
        io,
        v -> {
          live.sessions.clear();
          live.turns.clear();
          Sandbox sb = live.sandbox;
          live.sandbox = null;
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
          return Decision.persist(events);
        });
  }

  // --- repository and credentials

  private Decision cloneRepository(CloneRepository cmd, SandboxTables t) {
    if (blank(cmd.remoteUrl())) {
      return Decision.reject("invalid_remote", "remoteUrl is required");
    }
    RepositoryView repo = t.repository();
    if (repo != null) {
      return repo.remoteUrl().equals(cmd.remoteUrl())
          ? Decision.reply(repo)
          : Decision.reject(
              "repository_already_cloned", "the sandbox already holds " + repo.remoteUrl());
    }
    return withSandbox(
        t,
        sb -> {
          SandboxGit git = new SandboxGit(sb.client(), sb.homeDir());
          String dir = sb.workDir();
          CompletionStage<RepositoryView> io =
              git.git(dir, "rev-parse", "--show-toplevel")
                  .thenCompose(
                      top ->
                          top.succeeded() && top.stdout().strip().equals(dir)
                              ? CompletableFuture.completedFuture(null) // cloned before a crash
                              : git.cloneInto(cmd.remoteUrl(), dir, null).thenApply(r -> null))
                  .thenCompose(v -> checkout(git, dir, cmd.branch()))
                  .thenCompose(v -> git.git(dir, "rev-parse", "--abbrev-ref", "HEAD"))
                  .thenCompose(
                      branch ->
                          git.git(dir, "rev-parse", "HEAD")
                              .thenApply(
                                  head ->
                                      new RepositoryView(
                                          cmd.remoteUrl(),
                                          branch.orThrow("git rev-parse").stdout().strip(),
                                          head.orThrow("git rev-parse").stdout().strip(),
                                          dir)));
          return Decision.after(
              io,
              r ->
                  Decision.persist(
                          new RepositoryCloned(
                              r.remoteUrl(), r.branch(), r.headCommit(), r.dir(), now()))
                      .thenReply(t::repository));
        });
  }

  /** {@code checkout -B branch}, from {@code origin/branch} when the remote has it. */
  private static CompletionStage<Void> checkout(SandboxGit git, String dir, String branch) {
    if (blank(branch)) {
      return CompletableFuture.completedFuture(null);
    }
    return git.git(dir, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/" + branch)
        .thenCompose(
            remote ->
                remote.succeeded()
                    ? git.git(dir, "checkout", "-B", branch, "origin/" + branch)
                    : git.git(dir, "checkout", "-B", branch))
        .thenAccept(r -> r.orThrow("git checkout -B " + branch));
  }

  private Decision storeGitCredentials(StoreGitCredentials cmd, SandboxTables t) {
    if (blank(cmd.ownerUserId())) {
      return Decision.reject("invalid_owner", "ownerUserId is required");
    }
    return withSandbox(
        t,
        sb -> {
          SandboxGit git = new SandboxGit(sb.client(), sb.homeDir());
          CompletionStage<List<GitCredentials>> io =
              host.credentials()
                  .credentialsFor(organizationId(), cmd.ownerUserId())
                  .thenCompose(
                      creds ->
                          git.storeCredentials(creds)
                              .thenCompose(v -> identity(git, "user.name", cmd.login()))
                              .thenCompose(v -> identity(git, "user.email", cmd.email()))
                              .thenApply(v -> creds));
          return Decision.after(
              io,
              creds -> {
                List<String> hosts = new ArrayList<>();
                creds.forEach(c -> hosts.add(c.url().toString()));
                return Decision.persist(
                    new GitCredentialsStored(
                        cmd.ownerUserId(), cmd.login(), cmd.email(), hosts, now()));
              });
        });
  }

  private static CompletionStage<Void> identity(SandboxGit git, String key, String value) {
    if (blank(value)) {
      return CompletableFuture.completedFuture(null);
    }
    return git.git(null, "config", "--global", key, value).thenAccept(r -> r.orThrow(key));
  }

  // --- sessions

  private Decision createSession(CreateSession cmd, SandboxTables t) {
    if (blank(cmd.sessionId())) {
      return Decision.reject("invalid_session", "sessionId is required");
    }
    SessionRow existing = t.session(cmd.sessionId());
    if (existing != null) {
      return Decision.reply(t.sessionView(cmd.sessionId()));
    }
    return withSandbox(
        t,
        sb -> {
          CompletionStage<String> agent =
              blank(cmd.agent())
                  ? AgentChoice.forModel(sb.client(), cmd.model())
                  : CompletableFuture.completedFuture(cmd.agent());
          return Decision.after(
              agent.thenCompose(
                  chosen ->
                      openSession(sb, cmd.sessionId(), chosen, cmd.model())
                          .thenApply(session -> new Opened(chosen, session))),
              opened -> {
                live.sessions.put(cmd.sessionId(), opened.session());
                return Decision.persist(
                        new SessionCreated(
                            cmd.sessionId(),
                            opened.agent(),
                            cmd.model(),
                            opened.session().cwd(),
                            now()))
                    .thenReply(() -> t.sessionView(cmd.sessionId()));
              });
        });
  }

  private record Opened(String agent, AgentSession session) {}

  private CompletionStage<AgentSession> openSession(
      Sandbox sb, String sessionId, String agent, String model) {
    SessionListener onEnd =
        new SessionListener() {
          @Override
          public void onUpdate(SessionUpdate update) {}

          @Override
          public void onClosed(Throwable cause) {
            if (cause != null) {
              send(new RecordSessionEnded(sessionId, "agent exited: " + message(cause)));
            }
          }
        };
    CompletionStage<AgentSession> opened =
        AgentSession.open(
            sb.client(),
            AgentSessionOptions.of(agent, sb.workDir())
                .withPermissions(PermissionHandler.allowOnce())
                .withListener(onEnd));
    if (blank(model)) {
      return opened;
    }
    // Best effort, like upstream: an agent without the option keeps its default model.
    return opened.thenCompose(s -> s.setModel(model).handle((r, failure) -> s));
  }

  private Decision sendMessage(SendMessage cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if (s == null) {
      return Decision.reject("session_not_found", "no session " + cmd.sessionId());
    }
    if ("closed".equals(s.status())) {
      return Decision.reject("session_closed", "session " + cmd.sessionId() + " is closed");
    }
    if (blank(cmd.text())) {
      return Decision.reject("invalid_message", "message text is required");
    }
    if (cmd.messageId() != null && t.hasTurn(cmd.sessionId(), turnId(cmd))) {
      return Decision.reply(turnId(cmd)); // delivered before: the turn exists
    }
    if (live.turns.containsKey(cmd.sessionId())) {
      return Decision.reject(
          "session_busy", "session " + cmd.sessionId() + " is running a turn; stop it first");
    }
    return withSandbox(t, sb -> withAgentSession(sb, s, session -> startTurn(cmd, session, t)));
  }

  private String turnId(SendMessage cmd) {
    return "turn-" + (cmd.messageId() != null ? cmd.messageId() : commandId());
  }

  private Decision withAgentSession(
      Sandbox sb, SessionRow s, Function<AgentSession, Decision> then) {
    AgentSession session = live.sessions.get(s.sessionId());
    if (session != null && session.isOpen()) {
      return then.apply(session);
    }
    // A new agent process for a session whose agent died or whose backend restarted.
    return Decision.after(
        openSession(sb, s.sessionId(), s.agent(), s.model()),
        opened -> {
          live.sessions.put(s.sessionId(), opened);
          return then.apply(opened);
        });
  }

  private Decision startTurn(SendMessage cmd, AgentSession session, SandboxTables t) {
    String sessionId = cmd.sessionId();
    String turnId = turnId(cmd);
    List<Event> events = new ArrayList<>();
    SessionRow s = t.session(sessionId);
    if ("running".equals(s.status())) {
      events.add(interrupted(s)); // stale: its turn did not survive a restart
    }
    AgentTurn turn;
    try {
      turn =
          session.prompt(
              cmd.text(),
              update ->
                  send(new RecordSessionUpdate(sessionId, turnId, update.kind(), toJson(update))));
    } catch (IllegalStateException e) {
      return Decision.reject("session_busy", e.getMessage()); // the agent still has a turn
    }
    live.turns.put(sessionId, new RunningTurn(turnId, turn));
    turn.result()
        .whenComplete(
            (result, failure) ->
                send(
                    failure == null
                        ? new FinishTurn(sessionId, turnId, result.rawStopReason(), null)
                        : new FinishTurn(sessionId, turnId, null, message(failure))));
    ObjectNode message = JSON.createObjectNode().put("text", cmd.text());
    events.add(
        new TranscriptEntryAppended(
            sessionId, turnId, "client", "user_message", message.toString(), now()));
    events.add(new SessionStatusChanged(sessionId, "running", turnId, null, now()));
    return Decision.persist(events).thenReply(() -> turnId);
  }

  private Decision recordSessionUpdate(RecordSessionUpdate cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if (s == null || "closed".equals(s.status())) {
      return Decision.reply(null);
    }
    return Decision.persist(
        new TranscriptEntryAppended(
            cmd.sessionId(), cmd.turnId(), "agent", cmd.kind(), cmd.payloadJson(), now()));
  }

  private Decision finishTurn(FinishTurn cmd, SandboxTables t) {
    live.turns.computeIfPresent(
        cmd.sessionId(), (id, running) -> running.turnId().equals(cmd.turnId()) ? null : running);
    SessionRow s = t.session(cmd.sessionId());
    if (s == null || !cmd.turnId().equals(s.turnId()) || "closed".equals(s.status())) {
      return Decision.reply(null);
    }
    ObjectNode end = JSON.createObjectNode();
    end.put("stopReason", cmd.stopReason());
    end.put("error", cmd.errorMessage());
    List<Event> events = new ArrayList<>();
    events.add(
        new TranscriptEntryAppended(
            cmd.sessionId(), cmd.turnId(), "system", "turn_ended", end.toString(), now()));
    if ("running".equals(s.status())) {
      boolean failed = cmd.errorMessage() != null;
      events.add(
          new SessionStatusChanged(
              cmd.sessionId(),
              failed ? "error" : "idle",
              cmd.turnId(),
              failed ? cmd.errorMessage() : null,
              now()));
    }
    Sandbox sb = live.sandbox;
    if (sb == null || t.repository() == null) {
      return Decision.persist(events);
    }
    // The turn may have changed files: refresh the derived git state with its end.
    return Decision.after(
        SandboxGitState.collect(new SandboxGit(sb.client(), sb.homeDir()), t.repository().dir()),
        state -> {
          events.add(new GitStateRefreshed(state, now()));
          return Decision.persist(events);
        },
        failure -> {
          log().warn("git state of {} after a turn: {}", key(), cause(failure).toString());
          return Decision.persist(events);
        });
  }

  private Decision recordSessionEnded(RecordSessionEnded cmd, SandboxTables t) {
    live.sessions.remove(cmd.sessionId());
    SessionRow s = t.session(cmd.sessionId());
    if (s == null || "closed".equals(s.status()) || "error".equals(s.status())) {
      return Decision.reply(null);
    }
    return Decision.persist(
        new SessionStatusChanged(cmd.sessionId(), "error", s.turnId(), cmd.reason(), now()));
  }

  private Decision stopTurn(StopTurn cmd, SandboxTables t) {
    RunningTurn running = live.turns.get(cmd.sessionId());
    if (running == null) {
      return Decision.reply(false);
    }
    return Decision.after(running.turn().cancel(), v -> Decision.reply(true));
  }

  private Decision changeModel(ChangeModel cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if (s == null) {
      return Decision.reject("session_not_found", "no session " + cmd.sessionId());
    }
    if ("closed".equals(s.status())) {
      return Decision.reject("session_closed", "session " + cmd.sessionId() + " is closed");
    }
    if (blank(cmd.model())) {
      return Decision.reject("invalid_model", "model is required");
    }
    if (cmd.model().equals(s.model())) {
      return Decision.reply(t.sessionView(cmd.sessionId()));
    }
    Decision changed =
        Decision.persist(new SessionModelChanged(cmd.sessionId(), cmd.model(), now()))
            .thenReply(() -> t.sessionView(cmd.sessionId()));
    AgentSession session = live.sessions.get(cmd.sessionId());
    if (session == null || !session.isOpen()) {
      return changed; // the next open uses it
    }
    return Decision.after(
        session.setModel(cmd.model()),
        r -> changed,
        failure -> {
          // This agent cannot switch live: end its process so the next message opens the session
          // again with the new model (upstream recreates an unused session the same way).
          if (!live.turns.containsKey(cmd.sessionId())) {
            live.sessions.remove(cmd.sessionId());
            session.closeAsync();
          }
          return changed;
        });
  }

  private Decision closeSession(CloseSession cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if (s == null) {
      return Decision.reject("session_not_found", "no session " + cmd.sessionId());
    }
    if ("closed".equals(s.status())) {
      return Decision.reply(null);
    }
    live.turns.remove(cmd.sessionId());
    AgentSession session = live.sessions.remove(cmd.sessionId());
    CompletionStage<Void> io =
        session == null ? CompletableFuture.completedFuture(null) : session.closeAsync();
    return Decision.after(
        io,
        v ->
            Decision.persist(
                new SessionStatusChanged(cmd.sessionId(), "closed", s.turnId(), null, now())));
  }

  // --- processes and git state

  private Decision startProcess(StartProcess cmd, SandboxTables t) {
    if (blank(cmd.command())) {
      return Decision.reject("invalid_process", "command is required");
    }
    List<String> args = cmd.args() == null ? List.of() : cmd.args();
    return withSandbox(
        t,
        sb -> {
          String cwd = blank(cmd.cwd()) ? sb.workDir() : cmd.cwd();
          return Decision.after(
              sb.client().processes().start(ProcessRequest.of(cmd.command(), args).withCwd(cwd)),
              info ->
                  Decision.persist(new ProcessStarted(info.id(), cmd.command(), args, cwd, now()))
                      .thenReply(() -> info));
        });
  }

  private Decision stopProcess(StopProcess cmd, SandboxTables t) {
    return withSandbox(
        t,
        sb ->
            Decision.after(
                sb.client().processes().stop(cmd.processId(), Duration.ofSeconds(5)),
                info ->
                    Decision.persist(new ProcessStopped(cmd.processId(), now()))
                        .thenReply(() -> info)));
  }

  private Decision refreshGitState(RefreshGitState cmd, SandboxTables t) {
    return withRepository(
        t,
        (git, dir) ->
            Decision.after(
                SandboxGitState.collect(git, dir),
                state ->
                    Decision.persist(new GitStateRefreshed(state, now())).thenReply(() -> state)));
  }

  private Decision revertFile(RevertFile cmd, SandboxTables t) {
    String path = cmd.path();
    if (blank(path) || path.startsWith("/") || path.startsWith("-") || path.contains("..")) {
      return Decision.reject("invalid_path", "a path inside the repository is required: " + path);
    }
    RepositoryView repo = t.repository();
    if (repo == null) {
      return Decision.reject("no_repository", "nothing is cloned into the sandbox yet");
    }
    return withSandbox(
        t,
        sb -> {
          SandboxGit git = new SandboxGit(sb.client(), sb.homeDir());
          String dir = repo.dir();
          CompletionStage<GitState> io =
              git.git(dir, "ls-files", "--error-unmatch", "--", path)
                  .thenCompose(
                      tracked ->
                          tracked.succeeded()
                              ? git.git(
                                  dir,
                                  "restore",
                                  "--source=HEAD",
                                  "--staged",
                                  "--worktree",
                                  "--",
                                  path)
                              : git.git(dir, "clean", "-f", "--", path))
                  .thenApply(r -> r.orThrow("revert of " + path))
                  .thenCompose(r -> SandboxGitState.collect(git, dir));
          return Decision.after(
              io,
              state ->
                  Decision.persist(
                          new FileReverted(path, now()), new GitStateRefreshed(state, now()))
                      .thenReply(() -> state),
              failure -> Decision.reject("git_revert_failed", message(failure)));
        });
  }

  private Decision pushBranch(PushBranch cmd, SandboxTables t) {
    RepositoryView repo = t.repository();
    if (repo == null) {
      return Decision.reject("no_repository", "nothing is cloned into the sandbox yet");
    }
    return withSandbox(
        t,
        sb -> {
          SandboxGit git = new SandboxGit(sb.client(), sb.homeDir());
          String dir = repo.dir();
          CompletionStage<Pushed> io =
              git.git(dir, "rev-parse", "--abbrev-ref", "HEAD")
                  .thenApply(r -> r.orThrow("git rev-parse").stdout().strip())
                  .thenCompose(
                      branch ->
                          git.git(
                                  dir,
                                  SandboxGit.CLONE_TIMEOUT,
                                  List.of("push", "-u", "origin", branch))
                              .thenApply(r -> r.orThrow("git push of " + branch))
                              .thenCompose(r -> git.git(dir, "rev-parse", "HEAD"))
                              .thenCompose(
                                  head ->
                                      SandboxGitState.collect(git, dir)
                                          .thenApply(
                                              state ->
                                                  new Pushed(
                                                      branch,
                                                      head.orThrow("git rev-parse")
                                                          .stdout()
                                                          .strip(),
                                                      state))));
          return Decision.after(
              io,
              pushed ->
                  Decision.persist(
                          new BranchPushed(pushed.branch(), pushed.headCommit(), now()),
                          new GitStateRefreshed(pushed.state(), now()))
                      .thenReply(pushed::state),
              failure -> Decision.reject("git_push_failed", message(failure)));
        });
  }

  private record Pushed(String branch, String headCommit, GitState state) {}

  private Decision syncBranch(SyncBranch cmd, SandboxTables t) {
    return withRepository(
        t,
        (git, dir) ->
            Decision.after(
                BranchSync.sync(git, dir),
                synced -> branchSynced(synced, false),
                failure -> gitRejection("git_sync_failed", failure)));
  }

  private Decision mergeBranch(MergeBranch cmd, SandboxTables t) {
    return withRepository(
        t,
        (git, dir) ->
            Decision.after(
                BranchSync.merge(git, dir),
                merged -> branchSynced(merged, true),
                failure -> gitRejection("git_merge_failed", failure)));
  }

  private static Decision branchSynced(BranchSync.Synced s, boolean merged) {
    long at = now();
    List<Event> events = new ArrayList<>();
    events.add(new BranchSynced(s.base(), s.baseCommit(), s.headCommit(), at));
    if (merged) {
      events.add(new BranchMerged(s.base(), s.headCommit(), at));
    }
    events.add(new GitStateRefreshed(s.state(), at));
    return Decision.persist(events).thenReply(s::state);
  }

  /** Runs {@code work} with git in the cloned repository; refused before anything is cloned. */
  private Decision withRepository(
      SandboxTables t, java.util.function.BiFunction<SandboxGit, String, Decision> work) {
    RepositoryView repo = t.repository();
    if (repo == null) {
      return Decision.reject("no_repository", "nothing is cloned into the sandbox yet");
    }
    return withSandbox(t, sb -> work.apply(new SandboxGit(sb.client(), sb.homeDir()), repo.dir()));
  }

  /** A git failure as the caller sees it: a conflict keeps its own code, the rest {@code code}. */
  private static Decision gitRejection(String code, Throwable failure) {
    return cause(failure) instanceof BranchSync.Conflict conflict
        ? Decision.reject(conflict.code(), conflict.getMessage())
        : Decision.reject(code, message(failure));
  }

  // --- the live sandbox

  /**
   * Runs {@code then} with the live sandbox, reattaching first when this process has no handle on
   * it (after a restart, the provider restarts a dead server on the same directories).
   */
  private Decision withSandbox(SandboxTables t, Function<Sandbox, Decision> then) {
    SandboxRow row = t.sandbox();
    if (row == null) {
      return Decision.reject(
          "no_sandbox", "the sandbox of task " + taskId() + " is not provisioned");
    }
    if (row.destroyed()) {
      return destroyedRejection();
    }
    Sandbox sb = live.sandbox;
    if (sb != null) {
      return then.apply(sb);
    }
    return Decision.after(
        host.provider().connect(row.sandboxId()),
        connected -> {
          attach(connected);
          return then.apply(connected);
        });
  }

  private void attach(Sandbox sb) {
    Sandbox old = live.sandbox;
    live.sandbox = sb;
    if (old != null && old != sb) {
      old.close();
    }
  }

  private CompletionStage<Sandbox> attached() {
    Sandbox sb = live.sandbox;
    return sb != null
        ? CompletableFuture.completedFuture(sb)
        : CompletableFuture.failedFuture(
            new IllegalStateException("the sandbox of task " + taskId() + " is not attached"));
  }

  private Decision destroyedRejection() {
    return Decision.reject(
        "sandbox_destroyed", "the sandbox of task " + taskId() + " is destroyed");
  }

  /** From a listener thread: a later command to this actor. */
  private void send(Command<?> command) {
    self.tell(command)
        .whenComplete(
            (id, failure) -> {
              if (failure != null) {
                LISTENER_LOG.warn("{} to {} not delivered: {}", command, key(), failure.toString());
              }
            });
  }

  // 6. Reports to the task and broadcasts after apply ---------------------------------------------

  /**
   * Session status and git state go to the task actor through the runtime's outbox, so a turn that
   * ends just before a crash still reaches the task (and the UI) after the restart.
   */
  @Override
  protected List<Outbound.Tell> durableTells(List<Event> events, SandboxTables tables) {
    String repoId = tables.repoId();
    if (repoId == null) {
      return List.of();
    }
    DurableRef<TaskProtocol.Command<?>> task =
        runtime().get(TaskProtocol.TYPE, TaskProtocol.key(organizationId(), repoId, taskId()));
    List<Outbound.Tell> tells = new ArrayList<>();
    for (Event e : events) {
      // Only turn ends: the task marks a session running itself when it sends the message, and a
      // late "running" (the outbox does not order deliveries) must not revive a finished turn.
      if (e instanceof SessionStatusChanged c
          && ("idle".equals(c.status()) || "error".equals(c.status()))) {
        tells.add(
            new Outbound.Tell(
                task,
                new TaskProtocol.SyncSessionStatus(c.sessionId(), c.status(), c.errorMessage())));
      } else if (e instanceof GitStateRefreshed g) {
        tells.add(new Outbound.Tell(task, new TaskProtocol.SyncGitState(g.state())));
      }
    }
    return tells;
  }

  @Override
  protected void afterApply(List<Event> events, SandboxTables tables) {
    java.util.Map<String, Integer> appended = new java.util.LinkedHashMap<>();
    boolean processes = false;
    for (Event e : events) {
      if (e instanceof SessionCreated c) {
        appended.merge(c.sessionId(), 0, Integer::sum);
      } else if (e instanceof TranscriptEntryAppended a) {
        appended.merge(a.sessionId(), 1, Integer::sum);
      } else if (e instanceof SessionStatusChanged c) {
        appended.merge(c.sessionId(), 0, Integer::sum);
      } else if (e instanceof SessionModelChanged c) {
        appended.merge(c.sessionId(), 0, Integer::sum);
      } else if (e instanceof ProcessStarted
          || e instanceof ProcessStopped
          || e instanceof SandboxDestroyed) {
        processes = true;
      }
    }
    String taskTopicId = organizationId() + "/" + taskId();
    appended.forEach(
        (sessionId, count) ->
            publish(
                SESSION_TOPIC,
                taskTopicId + "/" + sessionId,
                TranscriptUpdated.TYPE,
                () -> {
                  SessionRow s = tables.session(sessionId);
                  long size = tables.transcriptSize(sessionId);
                  return new TranscriptUpdated(
                      TranscriptUpdated.TYPE,
                      sessionId,
                      s == null ? null : s.status(),
                      s == null ? null : s.errorMessage(),
                      count == 0 ? List.of() : tables.transcriptAfter(sessionId, size - count));
                }));
    if (processes && tables.sandbox() != null) {
      publish(
          PROCESSES_TOPIC,
          taskTopicId,
          ProcessesUpdated.TYPE,
          () -> new ProcessesUpdated(ProcessesUpdated.TYPE, tables.processes()));
    }
  }

  // helpers
  // ----------------------------------------------------------------------------------------

  private String organizationId() {
    return key().segments().get(1);
  }

  private String taskId() {
    return key().segments().get(3);
  }

  private static String toJson(SessionUpdate update) {
    try {
      ObjectNode node = JSON.valueToTree(update);
      node.put("sessionUpdate", update.kind());
      return node.toString();
    } catch (IllegalArgumentException e) {
      return JSON.createObjectNode().put("sessionUpdate", update.kind()).toString();
    }
  }

  private static Throwable cause(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static String message(Throwable t) {
    Throwable c = cause(t);
    return c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
