package dev.foundry.backend.sandbox;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static dev.foundry.backend.testing.Git.commitAll;
import static dev.foundry.backend.testing.Git.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.SandboxProtocol.CloneRepository;
import dev.foundry.backend.protocol.SandboxProtocol.CloseSession;
import dev.foundry.backend.protocol.SandboxProtocol.Command;
import dev.foundry.backend.protocol.SandboxProtocol.CreateSession;
import dev.foundry.backend.protocol.SandboxProtocol.Destroy;
import dev.foundry.backend.protocol.SandboxProtocol.GetSandbox;
import dev.foundry.backend.protocol.SandboxProtocol.GetSession;
import dev.foundry.backend.protocol.SandboxProtocol.ListProcesses;
import dev.foundry.backend.protocol.SandboxProtocol.ProcessLogs;
import dev.foundry.backend.protocol.SandboxProtocol.Provision;
import dev.foundry.backend.protocol.SandboxProtocol.PushBranch;
import dev.foundry.backend.protocol.SandboxProtocol.RefreshGitState;
import dev.foundry.backend.protocol.SandboxProtocol.RevertFile;
import dev.foundry.backend.protocol.SandboxProtocol.SendMessage;
import dev.foundry.backend.protocol.SandboxProtocol.SessionDetail;
import dev.foundry.backend.protocol.SandboxProtocol.StartProcess;
import dev.foundry.backend.protocol.SandboxProtocol.StopTurn;
import dev.foundry.backend.protocol.SandboxProtocol.StoreGitCredentials;
import dev.foundry.backend.runtime.ActorException;
import dev.foundry.backend.runtime.ActorOverloadedException;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.runtime.RuntimeFixture;
import dev.foundry.sandbox.git.GitCredentials;
import dev.foundry.sandbox.process.ProcessInfo;
import dev.foundry.sandbox.process.ProcessLogEntry;
import dev.foundry.sandbox.provider.SandboxProvider.SandboxSummary;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.provider.local.SandboxIsolation;
import dev.foundry.shared.realtime.RealtimeEvents;
import dev.foundry.shared.realtime.TranscriptUpdated;
import dev.foundry.shared.sandbox.FileChange;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.sandbox.RepositoryView;
import dev.foundry.shared.sandbox.SandboxView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox actor end to end: the real runtime on disk, the real sandbox-agent binary on
 * loopback, the offline agent in the {@code mock} slot, and a {@code file://} bare repository.
 */
class SandboxActorTest {
  private static final String ORG = "acme";

  @TempDir Path tmp;

  private ExecutorService io;
  private LocalSandboxProvider provider;
  private RuntimeFixture fixture;
  private String remoteUrl;
  private final Map<String, List<GitCredentials>> tokens = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    io =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "sandbox-test-io");
              t.setDaemon(true);
              return t;
            });
    Path remote = dev.foundry.backend.testing.Git.seedRemote(tmp);
    remoteUrl = "file://" + remote;
    // The backend's default: sandboxes confined by bwrap, sharing only the test's git remote.
    provider =
        new LocalSandboxProvider(
            LocalSandboxSettings.of(tmp.resolve("sandboxes"), SandboxAgentBin.path(), io)
                .withIsolation(SandboxIsolation.BWRAP)
                .withSharedPaths(List.of(remote)));
    fixture = new RuntimeFixture(tmp.resolve("data"), List.of(SandboxActor.KIND));
    configureHost();
  }

  /** A restarted backend configures its host again: the new actor system starts with none. */
  private void configureHost() {
    configureHost(fixture.runtime().system());
  }

  private void configureHost(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    SandboxHost.get(system)
        .configure(
            provider,
            (org, user) -> CompletableFuture.completedFuture(tokens.getOrDefault(user, List.of())));
  }

  @AfterEach
  void cleanUp() {
    // Never leave a server or an agent behind, also when a test failed half-way.
    try {
      if (fixture != null) {
        fixture.close();
      }
    } finally {
      for (SandboxSummary s : provider.list().join()) {
        provider.destroy(s.sandboxId()).orTimeout(20, TimeUnit.SECONDS).join();
      }
      io.shutdownNow();
    }
  }

  private DurableRef<Command<?>> sandbox(String taskId) {
    return fixture.runtime().getOrCreate(SandboxProtocol.TYPE, SandboxProtocol.key(ORG, taskId));
  }

  /** Provisioned, cloned on {@code branch}, one session: where most stories start. */
  private DurableRef<Command<?>> readySandbox(String taskId, String sessionId) {
    DurableRef<Command<?>> ref = sandbox(taskId);
    SandboxView view = await(ref.ask(new Provision(null, null), Duration.ofSeconds(30)));
    assertThat(view.state()).isEqualTo("running");
    await(ref.ask(new CloneRepository(remoteUrl, "feature-" + taskId), Duration.ofSeconds(30)));
    await(ref.ask(new CreateSession(sessionId, null, null), Duration.ofSeconds(30)));
    return ref;
  }

  private SessionDetail session(DurableRef<Command<?>> ref, String sessionId) {
    return await(ref.query(new GetSession(sessionId)));
  }

  private SessionDetail awaitStatus(DurableRef<Command<?>> ref, String sessionId, String status) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> session(ref, sessionId).session().status(), status::equals);
    return session(ref, sessionId);
  }

  @Test
  void aPromptStreamsIntoTheTranscriptAndTheSessionReturnsToIdle() {
    List<Publication> published = new CopyOnWriteArrayList<>();
    fixture.hub().subscribe(RealtimeEvents.SESSION_TOPIC, ORG + "/t1/s1", published::add);
    DurableRef<Command<?>> ref = readySandbox("t1", "s1");

    SandboxView view = await(ref.query(new GetSandbox()));
    assertThat(view.repository().branch()).isEqualTo("feature-t1");
    assertThat(view.repository().remoteUrl()).isEqualTo(remoteUrl);
    assertThat(session(ref, "s1").session().status()).isEqualTo("idle");

    String turn = await(ref.ask(new SendMessage("s1", "hello there", null)));
    SessionDetail done = awaitStatus(ref, "s1", "idle");

    assertThat(done.agentText(turn)).isEqualTo("You said: hello there");
    // The model's agent cannot run offline: the session says the offline agent runs it.
    assertThat(done.session().agent()).isEqualTo("mock");
    assertThat(done.transcript().get(0).sender()).isEqualTo("system");
    assertThat(done.transcript().get(0).kind()).isEqualTo("agent_substituted");
    assertThat(done.transcript().get(0).payload().path("text").asText())
        .startsWith("the offline agent (mock) runs this session, not codex");
    assertThat(done.transcript().get(1).sender()).isEqualTo("client");
    assertThat(done.transcript().get(1).payload().path("text").asText()).isEqualTo("hello there");
    assertThat(done.transcript()).extracting(e -> e.kind()).contains("agent_message_chunk");
    assertThat(done.transcript().get(done.transcript().size() - 1).kind()).isEqualTo("turn_ended");
    // Subscribers get only what each command appended: together, the whole transcript in order.
    List<Long> streamed =
        published.stream()
            .map(p -> (TranscriptUpdated) p.payload())
            .flatMap(u -> u.entries().stream())
            .map(e -> e.eventIndex())
            .toList();
    assertThat(streamed)
        .startsWith(done.transcript().stream().map(e -> e.eventIndex()).toArray(Long[]::new));

    // A second message in the same session.
    String second = await(ref.ask(new SendMessage("s1", "and again", null)));
    assertThat(awaitStatus(ref, "s1", "idle").agentText(second)).isEqualTo("You said: and again");
  }

  @Test
  void aTurnsChunksAreJournaledOnceInBatchesAndPublishedAsApplied() throws Exception {
    List<Publication> published = new CopyOnWriteArrayList<>();
    fixture.hub().subscribe(RealtimeEvents.SESSION_TOPIC, ORG + "/t13/s1", published::add);
    DurableRef<Command<?>> ref = readySandbox("t13", "s1");

    String turn = await(ref.ask(new SendMessage("s1", "/burst 300", null)));
    SessionDetail done = awaitStatus(ref, "s1", "idle");
    List<SandboxProtocol.TranscriptEntry> chunks =
        done.transcript().stream()
            .filter(e -> turn.equals(e.turnId()) && "agent_message_chunk".equals(e.kind()))
            .toList();
    assertThat(chunks).hasSize(300);

    List<String> journal = new ArrayList<>();
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                "jdbc:sqlite:" + tmp.resolve("data/journal/journal.db"));
        java.sql.ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT CAST(event_payload AS TEXT) FROM event_journal")) {
      while (rs.next()) {
        journal.add(rs.getString(1));
      }
    }
    // Each chunk's payload is in the journal once: as its transcript entry, not also as the
    // command that carried it.
    for (String chunk : List.of("c1 ", "c150 ", "c300 ")) {
      long occurrences =
          journal.stream()
              .mapToLong(row -> row.split(java.util.regex.Pattern.quote(chunk), -1).length - 1)
              .sum();
      assertThat(occurrences).as(chunk).isEqualTo(1);
    }
    // Batched: a few journal writes for the turn's 300 chunks, not one each.
    long writesWithChunks =
        journal.stream().filter(row -> row.contains("agent_message_chunk")).count();
    assertThat(writesWithChunks).isLessThan(30);

    // The realtime increments, built from the applied events, are the transcript as read.
    await()
        .untilAsserted(
            () ->
                assertThat(
                        published.stream()
                            .map(p -> (TranscriptUpdated) p.payload())
                            .flatMap(u -> u.entries().stream())
                            .filter(e -> turn.equals(e.turnId()))
                            .toList())
                    .isEqualTo(
                        done.transcript().stream()
                            .filter(e -> turn.equals(e.turnId()))
                            .map(SandboxProtocol.TranscriptEntry::toWire)
                            .toList()));
  }

  @Test
  void queriesAreAnsweredWhileATurnRunsAndTheTurnCanBeStopped() {
    DurableRef<Command<?>> ref = readySandbox("t2", "s1");

    await(ref.ask(new SendMessage("s1", "/slow 100", null)));
    // The command is answered when the turn starts, not when it ends: the turn still runs.
    assertThat(session(ref, "s1").session().status()).isEqualTo("running");

    await().atMost(Duration.ofSeconds(10)).until(() -> session(ref, "s1").transcript().size() > 3);
    // A query is answered beside the running turn (session() fails on the ask's timeout).
    SessionDetail running = session(ref, "s1");
    assertThat(running.session().status()).isEqualTo("running");
    assertThatThrownBy(() -> await(ref.ask(new SendMessage("s1", "too soon", null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasMessageContaining("running a turn");

    assertThat((Boolean) await(ref.ask(new StopTurn("s1")))).isTrue();
    SessionDetail stopped = awaitStatus(ref, "s1", "idle");
    assertThat(
            stopped
                .transcript()
                .get(stopped.transcript().size() - 1)
                .payload()
                .path("stopReason")
                .asText())
        .isEqualTo("cancelled");
  }

  @Test
  void theAgentEditsAFileAndTheGitStateShowsIt() {
    DurableRef<Command<?>> ref = readySandbox("t3", "s1");

    await(ref.ask(new SendMessage("s1", "/write notes/todo.txt buy milk", null)));
    awaitStatus(ref, "s1", "idle");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> await(ref.query(new SandboxProtocol.GetGitState())) != null);
    GitState git = await(ref.query(new SandboxProtocol.GetGitState()));
    assertThat(git.branch()).isEqualTo("feature-t3");
    assertThat(git.files())
        .extracting(FileChange::path, FileChange::type)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("notes/todo.txt", "A"));
    assertThat(git.added()).isEqualTo(1);
    assertThat(git.ahead()).isZero();
  }

  @Test
  void ownerCredentialsAreWrittenPrivatelyRewrittenOnOwnerChangeAndNeverJournaled()
      throws IOException {
    tokens.put("u1", List.of(GitCredentials.of("https://github.com", "alice", "token-of-alice")));
    tokens.put("u2", List.of(GitCredentials.of("https://github.com", "bob", "token-of-bob")));
    DurableRef<Command<?>> ref = sandbox("t4");
    SandboxView view = await(ref.ask(new Provision(null, null), Duration.ofSeconds(30)));
    Path store = Path.of(view.homeDir(), ".foundry", "git-credentials");

    await(ref.ask(new StoreGitCredentials("u1", "alice", "alice@example.com")));
    assertThat(Files.readString(store)).contains("alice:token-of-alice@github.com");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store)))
        .isEqualTo("rw-------");

    await(ref.ask(new StoreGitCredentials("u2", "bob", "bob@example.com")));
    assertThat(Files.readString(store))
        .contains("bob:token-of-bob@github.com")
        .doesNotContain("alice");
    assertThat(await(ref.query(new GetSandbox())).gitOwner().login()).isEqualTo("bob");
    assertThat(Files.readString(Path.of(view.homeDir(), ".gitconfig"))).contains("bob@example.com");

    for (Path f : Files.walk(fixture.dataDir()).filter(Files::isRegularFile).toList()) {
      assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1))
          .as("%s", f)
          .doesNotContain("token-of-");
    }
  }

  @Test
  void aRestartMidTurnEndsTheTurnTruthfullyAndReattachesTheSandbox() {
    DurableRef<Command<?>> ref = readySandbox("t5", "s1");
    long serverPid = provider.serverPid("t5").orElseThrow();
    await(ref.ask(new SendMessage("s1", "/slow 100", null)));
    await().atMost(Duration.ofSeconds(10)).until(() -> session(ref, "s1").transcript().size() > 2);

    fixture.restart();
    configureHost();

    DurableRef<Command<?>> after = sandbox("t5");
    SessionDetail ended = awaitStatus(after, "s1", "error");
    assertThat(ended.session().errorMessage()).isEqualTo(SandboxActor.BACKEND_RESTARTED);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> await(after.query(new GetSandbox())).reattachedAt() != null);
    // The server outlived the backend, so reattaching found the same one.
    assertThat(provider.serverPid("t5")).contains(serverPid);

    String turn =
        await(after.ask(new SendMessage("s1", "still there?", null), Duration.ofSeconds(30)));
    assertThat(awaitStatus(after, "s1", "idle").agentText(turn))
        .isEqualTo("You said: still there?");
  }

  @Test
  void aMessageSentAgainAfterARestartEndedItsTurnStatesThatEndAgain() {
    DurableRef<Command<?>> ref = readySandbox("t10", "s1");
    String turn = await(ref.ask(new SendMessage("s1", "/slow 100", "m-1")));
    await().atMost(Duration.ofSeconds(10)).until(() -> session(ref, "s1").transcript().size() > 2);
    fixture.restart(this::configureHost);
    DurableRef<Command<?>> after = sandbox("t10");
    awaitStatus(after, "s1", "error");
    List<Publication> transcript = new CopyOnWriteArrayList<>();
    fixture.hub().subscribe(RealtimeEvents.SESSION_TOPIC, ORG + "/t10/s1", transcript::add);

    // The task, stopped before it recorded the first answer, sends the same message again: it
    // will mark the session running when it records this answer, so the end it may have heard
    // already is stated again (a status change, which the task is told of), not only answered.
    assertThat(await(after.ask(new SendMessage("s1", "/slow 100", "m-1")))).isEqualTo(turn);

    assertThat(session(after, "s1").session().status())
        .as("no second turn starts")
        .isEqualTo("error");
    assertThat(transcript)
        .extracting(Publication::payload)
        .anySatisfy(
            p ->
                assertThat(p)
                    .isInstanceOfSatisfying(
                        TranscriptUpdated.class,
                        u -> {
                          assertThat(u.status()).isEqualTo("error");
                          assertThat(u.errorMessage()).isEqualTo(SandboxActor.BACKEND_RESTARTED);
                        }));
  }

  @Test
  void aRestartMidTurnWakesTheSandboxWithoutAnyoneAddressingIt() {
    DurableRef<Command<?>> ref = readySandbox("t9", "s1");
    await(ref.ask(new SendMessage("s1", "/slow 100", null)));
    await().atMost(Duration.ofSeconds(10)).until(() -> session(ref, "s1").transcript().size() > 2);
    List<Publication> transcript = new CopyOnWriteArrayList<>();
    fixture.hub().subscribe(RealtimeEvents.SESSION_TOPIC, ORG + "/t9/s1", transcript::add);

    // The crash leaves no queued command: the turn was streaming into the actor.
    fixture.restart(this::configureHost);

    // Nobody addresses the sandbox; the runtime woke it at start, and it ended the turn.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                transcript.stream()
                    .map(Publication::payload)
                    .anyMatch(
                        p ->
                            p instanceof TranscriptUpdated u
                                && "error".equals(u.status())
                                && SandboxActor.BACKEND_RESTARTED.equals(u.errorMessage())));
  }

  @Test
  void processesStartLogAndAreGoneWithTheDestroyedSandbox() throws Exception {
    List<Publication> processes = new CopyOnWriteArrayList<>();
    fixture.hub().subscribe(RealtimeEvents.PROCESSES_TOPIC, ORG + "/t6", processes::add);
    DurableRef<Command<?>> ref = readySandbox("t6", "s1");
    await(ref.ask(new SendMessage("s1", "/slow 100", null)));

    ProcessInfo sleeper =
        await(ref.ask(new StartProcess("sh", List.of("-c", "echo started; exec sleep 600"), null)));
    assertThat(processes).extracting(Publication::event).containsExactly("processesUpdated");
    CompletionStage<List<ProcessInfo>> listed = await(ref.query(new ListProcesses()));
    assertThat(await(listed)).extracting(ProcessInfo::id).contains(sleeper.id());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              CompletionStage<List<ProcessLogEntry>> logs =
                  await(ref.query(new ProcessLogs(sleeper.id())));
              return await(logs).stream()
                  .map(ProcessLogEntry::text)
                  .anyMatch(t -> t.contains("started"));
            });

    long serverPid = provider.serverPid("t6").orElseThrow();
    List<Long> tree = new ArrayList<>();
    tree.add(serverPid);
    ProcessHandle.of(serverPid).orElseThrow().descendants().forEach(p -> tree.add(p.pid()));
    // The server reports pids of the sandbox's own PID namespace (bwrap): the last NSpid entry.
    assertThat(tree.stream().map(SandboxActorTest::namespacePid)).contains(sleeper.pid());
    assertThat(tree.size()).isGreaterThanOrEqualTo(3); // server, agent, sleeper

    await(ref.ask(new Destroy(), Duration.ofSeconds(30)));

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> tree.stream().noneMatch(pid -> Files.exists(Path.of("/proc/" + pid))));
    assertThat(await(ref.query(new GetSandbox())).state()).isEqualTo("destroyed");
    assertThat(session(ref, "s1").session().status()).isEqualTo("closed");
    assertThat(provider.list().join()).isEmpty();
    assertThatThrownBy(() -> await(ref.ask(new SendMessage("s1", "hello", null))))
        .isInstanceOf(CommandRejectedException.class);
    assertThat(processes.size()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void anAgentCrashEndsTheTurnInErrorWithTheReasonAndTheNextMessageGetsANewAgent() {
    DurableRef<Command<?>> ref = readySandbox("t8", "s1");

    await(ref.ask(new SendMessage("s1", "/crash 3", null)));
    awaitStatus(ref, "s1", "error");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                session(ref, "s1").transcript().stream()
                    .anyMatch(e -> e.kind().equals("turn_ended")));
    SessionDetail crashed = session(ref, "s1");
    assertThat(crashed.session().status()).isEqualTo("error");
    assertThat(crashed.session().errorMessage()).isNotBlank();
    assertThat(crashed.transcript())
        .filteredOn(e -> e.kind().equals("turn_ended"))
        .singleElement()
        .satisfies(e -> assertThat(e.payload().path("error").asText()).isNotBlank());

    String turn =
        await(ref.ask(new SendMessage("s1", "are you back?", null), Duration.ofSeconds(30)));
    SessionDetail back = awaitStatus(ref, "s1", "idle");
    assertThat(back.agentText(turn)).isEqualTo("You said: are you back?");
    assertThat(back.session().errorMessage()).isNull();
  }

  @Test
  void aTurnsUpdatesAndItsEndSurviveAnOverloadedActor() {
    fixture.withMaxQueuedPerActor(3);
    configureHost();
    DurableRef<Command<?>> ref = readySandbox("t11", "s1");
    String turn = await(ref.ask(new SendMessage("s1", "/slow 20", null)));
    SandboxHost.RunningTurn running =
        SandboxHost.get(fixture.runtime().system())
            .live(SandboxProtocol.key(ORG, "t11"))
            .turns
            .get("s1");
    assertThat(running).isNotNull();

    // Waves of five git refreshes against a bound of three, while the agent streams and until
    // after its turn ended: the listener's reports meet a full actor most of the time.
    int refused = 0;
    int wavesAfterTheEnd = 0;
    while (wavesAfterTheEnd < 10) {
      if (running.turn().result().isDone()) {
        wavesAfterTheEnd++;
      }
      List<CompletableFuture<GitState>> wave = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        wave.add(ref.ask(new RefreshGitState()).toCompletableFuture());
      }
      for (CompletableFuture<GitState> call : wave) {
        try {
          call.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          assertThat(e.getCause()).isInstanceOf(ActorOverloadedException.class);
          refused++;
        }
      }
    }
    assertThat(refused).as("calls refused as overloaded").isGreaterThan(0);

    SessionDetail done = awaitStatus(ref, "s1", "idle");
    assertThat(done.session().errorMessage()).isNull();
    assertThat(done.transcript())
        .filteredOn(e -> turn.equals(e.turnId()) && "turn_ended".equals(e.kind()))
        .hasSize(1);
    assertThat(done.transcript().stream().filter(e -> turn.equals(e.turnId())).count())
        .isGreaterThan(20);
    assertThat(done.transcript())
        .noneMatch(e -> ListenerDeliveries.UPDATES_DROPPED.equals(e.kind()));
  }

  @Test
  void updatesBeyondTheBoundWhileTheActorRefusesAreCountedInTheTranscriptNotKept() {
    readySandbox("t12", "s1");
    fixture.withMaxQueuedPerActor(1); // a restart
    configureHost();
    DurableRef<Command<?>> ref = sandbox("t12");
    ListenerDeliveries deliveries =
        new ListenerDeliveries(ref, fixture.runtime().system().executionContext());
    int beyond = 50;

    // The actor's one slot is taken, so the first report is refused and the rest wait behind it.
    List<CompletableFuture<GitState>> holding = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(1))
        .until(
            () -> {
              holding.add(0, ref.ask(new RefreshGitState()).toCompletableFuture());
              return !holding.get(0).isCompletedExceptionally(); // admitted: it holds the slot
            });
    for (int i = 0; i < ListenerDeliveries.MAX_QUEUED_UPDATES + beyond; i++) {
      deliveries.update(
          new SandboxProtocol.RecordSessionUpdate(
              "s1", "turn-x", "agent_message_chunk", "{\"n\":" + i + "}"));
    }
    await(holding.get(0));

    SessionDetail[] read = {null};
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions() // a read may meet the full actor too
        .until(
            () -> {
              read[0] = session(ref, "s1");
              return read[0].transcript().stream()
                  .anyMatch(e -> ListenerDeliveries.UPDATES_DROPPED.equals(e.kind()));
            });
    List<SandboxProtocol.TranscriptEntry> entries =
        read[0].transcript().stream().filter(e -> "turn-x".equals(e.turnId())).toList();
    assertThat(entries).hasSize(ListenerDeliveries.MAX_QUEUED_UPDATES + 1);
    assertThat(entries.get(0).payload().path("n").asInt()).isZero();
    assertThat(entries.get(ListenerDeliveries.MAX_QUEUED_UPDATES - 1).payload().path("n").asInt())
        .isEqualTo(ListenerDeliveries.MAX_QUEUED_UPDATES - 1);
    SandboxProtocol.TranscriptEntry marker = entries.get(ListenerDeliveries.MAX_QUEUED_UPDATES);
    assertThat(marker.kind()).isEqualTo(ListenerDeliveries.UPDATES_DROPPED);
    assertThat(marker.payload().path("count").asInt()).isEqualTo(beyond);
  }

  @Test
  void aTurnOutlivesThePassivationOfItsActor() throws Exception {
    fixture.close();
    fixture =
        new RuntimeFixture(
            tmp.resolve("data"), Duration.ofMillis(200), 500, List.of(SandboxActor.KIND));
    configureHost();
    DurableRef<Command<?>> ref = readySandbox("t9", "s1");

    String turn = await(ref.ask(new SendMessage("s1", "/slow 15", null)));
    // Passivated while the agent works (nothing queued, no I/O in flight).
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> await(fixture.runtime().activeCount()) == 0);

    SessionDetail done = awaitStatus(ref, "s1", "idle");
    assertThat(done.transcript().stream().filter(e -> turn.equals(e.turnId())).count())
        .isGreaterThan(15);
    assertThat(done.session().errorMessage()).isNull();
  }

  @Test
  void aSandboxWhoseServerDiedWithTheBackendIsRestartedOnItsFiles() throws Exception {
    DurableRef<Command<?>> ref = readySandbox("t10", "s1");
    await(ref.ask(new SendMessage("s1", "/write kept.txt still here", null)));
    awaitStatus(ref, "s1", "idle");
    long serverPid = provider.serverPid("t10").orElseThrow();
    List<ProcessHandle> tree = new ArrayList<>();
    ProcessHandle server = ProcessHandle.of(serverPid).orElseThrow();
    tree.add(server);
    server.descendants().forEach(tree::add);

    fixture.restart();
    tree.forEach(ProcessHandle::destroyForcibly); // the machine lost the server too
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> tree.stream().noneMatch(ProcessHandle::isAlive));
    configureHost();

    DurableRef<Command<?>> after = sandbox("t10");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> await(after.query(new GetSandbox())).reattachedAt() != null);
    assertThat(provider.serverPid("t10")).isPresent().get().isNotEqualTo(serverPid);
    String turn =
        await(after.ask(new SendMessage("s1", "hello again", null), Duration.ofSeconds(30)));
    assertThat(awaitStatus(after, "s1", "idle").agentText(turn)).isEqualTo("You said: hello again");
    GitState git = await(after.query(new SandboxProtocol.GetGitState()));
    assertThat(git.files()).extracting(FileChange::path).containsExactly("kept.txt");
  }

  @Test
  void aFileIsRevertedAndTheBranchIsPushedToTheRemoteAndARejectedPushSaysWhy() throws Exception {
    DurableRef<Command<?>> ref = readySandbox("t11", "s1");
    String workDir = await(ref.query(new GetSandbox())).workDir();

    await(ref.ask(new SendMessage("s1", "/write scratch.txt throw me away", null)));
    awaitStatus(ref, "s1", "idle");
    assertThat(Files.exists(Path.of(workDir, "scratch.txt"))).isTrue();
    GitState reverted = await(ref.ask(new RevertFile("scratch.txt")));
    assertThat(reverted.files()).isEmpty();
    assertThat(Files.exists(Path.of(workDir, "scratch.txt"))).isFalse();

    await(ref.ask(new SendMessage("s1", "/write feature.txt the feature", null)));
    awaitStatus(ref, "s1", "idle");
    commitAll(Path.of(workDir), "add the feature");
    assertThat(((GitState) await(ref.ask(new RefreshGitState()))).ahead()).isEqualTo(1);

    GitState pushed = await(ref.ask(new PushBranch(), Duration.ofSeconds(30)));
    assertThat(pushed.ahead()).isZero();
    assertThat(pushed.behind()).isZero();
    String remoteHead =
        gitOut(tmp, "--git-dir", tmp.resolve("remote.git").toString(), "rev-parse", "feature-t11");
    assertThat(await(ref.query(new GetSandbox())).repository().pushedCommit())
        .isEqualTo(remoteHead);

    // Someone else pushes to the branch meanwhile: our next push is refused, with git's reason.
    Path seed = tmp.resolve("seed");
    git(
        seed,
        "-c",
        "user.name=Other",
        "-c",
        "user.email=o@example.com",
        "commit",
        "--allow-empty",
        "-m",
        "someone else's work");
    git(seed, "push", "--force", remoteUrl, "HEAD:refs/heads/feature-t11");
    Files.writeString(Path.of(workDir, "feature.txt"), "the feature, improved\n");
    commitAll(Path.of(workDir), "improve the feature");
    assertThatThrownBy(() -> await(ref.ask(new PushBranch(), Duration.ofSeconds(30))))
        .isInstanceOfSatisfying(
            CommandRejectedException.class, e -> assertThat(e.code()).isEqualTo("git_push_failed"))
        .hasMessageContaining("rejected");
    assertThatThrownBy(() -> await(ref.ask(new RevertFile("../outside"))))
        .isInstanceOf(CommandRejectedException.class);
  }

  @Test
  void aRemoteHeadNamingAMissingBranchAndAnEmptyRemoteBothGiveTheTaskItsBranch() throws Exception {
    Path bare = tmp.resolve("remote.git");
    String main = gitOut(tmp, "--git-dir", bare.toString(), "rev-parse", "main");
    // HEAD names a branch the repository does not have: the clone checks nothing out.
    git(tmp, "--git-dir", bare.toString(), "symbolic-ref", "HEAD", "refs/heads/trunk");
    DurableRef<Command<?>> dangling = sandbox("t-dangling");
    await(dangling.ask(new Provision(null, null), Duration.ofSeconds(30)));
    RepositoryView cloned =
        await(dangling.ask(new CloneRepository(remoteUrl, "feature-d"), Duration.ofSeconds(30)));
    assertThat(cloned.branch()).isEqualTo("feature-d");
    assertThat(cloned.headCommit()).isEqualTo(main);

    // No commit at all, as a new GitHub repository: the branch starts with an empty commit and
    // can be pushed.
    Path empty = bare.resolve("empty.git"); // inside the path the sandbox shares
    git(tmp, "init", "--bare", "-b", "main", empty.toString());
    DurableRef<Command<?>> fresh = sandbox("t-empty");
    await(fresh.ask(new Provision(null, null), Duration.ofSeconds(30)));
    RepositoryView started =
        await(
            fresh.ask(new CloneRepository("file://" + empty, "feature-e"), Duration.ofSeconds(30)));
    assertThat(started.branch()).isEqualTo("feature-e");
    assertThat(started.headCommit()).hasSize(40);
    await(fresh.ask(new PushBranch(), Duration.ofSeconds(30)));
    assertThat(gitOut(tmp, "--git-dir", empty.toString(), "rev-parse", "feature-e"))
        .isEqualTo(started.headCommit());
  }

  @Test
  void aFailedCloneLeavesNothingBehindAndTheNextAttemptSucceeds() throws Exception {
    Path late = tmp.resolve("remote.git").resolve("late.git"); // does not exist yet
    DurableRef<Command<?>> ref = sandbox("t-late");
    SandboxView view = await(ref.ask(new Provision(null, null), Duration.ofSeconds(30)));
    assertThatThrownBy(
            () ->
                await(
                    ref.ask(
                        new CloneRepository("file://" + late, "feature-l"),
                        Duration.ofSeconds(30))))
        .isInstanceOf(ActorException.class);
    try (var left = Files.list(Path.of(view.workDir()))) {
      assertThat(left.toList()).isEmpty();
    }

    git(tmp, "clone", "--bare", tmp.resolve("remote.git").toString(), late.toString());
    RepositoryView cloned =
        await(ref.ask(new CloneRepository("file://" + late, "feature-l"), Duration.ofSeconds(30)));
    assertThat(cloned.branch()).isEqualTo("feature-l");
    assertThat(Path.of(view.workDir(), "README.md")).exists();
  }

  @Test
  void theDefaultBranchIsTheRemoteHeadThenMainThenMasterThenAny() {
    String refs = "origin/HEAD\norigin/master\norigin/main\norigin/dev\n";
    assertThat(SandboxRepository.defaultBranch("ref: refs/heads/dev\tHEAD\nabc\tHEAD\n", refs))
        .isEqualTo("origin/dev");
    assertThat(SandboxRepository.defaultBranch("", refs)).isEqualTo("origin/main");
    assertThat(SandboxRepository.defaultBranch("", "origin/master\norigin/x\n"))
        .isEqualTo("origin/master");
    assertThat(SandboxRepository.defaultBranch("", "origin/x\n")).isEqualTo("origin/x");
    assertThat(SandboxRepository.defaultBranch("", "")).isNull();
  }

  private static String gitOut(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("git " + List.of(args) + " failed");
    }
    return out;
  }

  @Test
  void theModelOfASessionChangesLive() {
    DurableRef<Command<?>> ref = readySandbox("t12", "s1");

    SandboxProtocol.SessionView changed =
        await(ref.ask(new SandboxProtocol.ChangeModel("s1", "offline-fast")));
    assertThat(changed.model()).isEqualTo("offline-fast");
    String turn = await(ref.ask(new SendMessage("s1", "fast now?", null)));
    SessionDetail done = awaitStatus(ref, "s1", "idle");
    assertThat(done.agentText(turn)).isEqualTo("You said: fast now?");
    assertThat(done.session().model()).isEqualTo("offline-fast");
  }

  @Test
  void agentsLeftInTheSandboxByADeadBackendAreEndedOnReattach() throws Exception {
    DurableRef<Command<?>> ref = readySandbox("t13", "s1");
    // An agent instance nobody in the next backend knows about (a kill -9 leaves these behind).
    dev.foundry.sandbox.provider.Sandbox other = provider.connect("t13").join();
    dev.foundry.sandbox.session.AgentSession orphan =
        dev.foundry.sandbox.session.AgentSession.open(
                other.client(),
                dev.foundry.sandbox.session.AgentSessionOptions.of("mock", other.workDir()))
            .get(30, TimeUnit.SECONDS);
    assertThat(other.client().acpServers().join())
        .extracting(s -> s.serverId())
        .contains(orphan.serverId());

    fixture.restart();
    configureHost();
    DurableRef<Command<?>> after = sandbox("t13");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> await(after.query(new GetSandbox())).reattachedAt() != null);

    assertThat(other.client().acpServers().join()).isEmpty();
    other.close();
  }

  @Test
  void aClosedSessionRefusesMessages() {
    DurableRef<Command<?>> ref = readySandbox("t7", "s1");
    await(ref.ask(new CloseSession("s1")));
    assertThat(session(ref, "s1").session().status()).isEqualTo("closed");
    assertThatThrownBy(() -> await(ref.ask(new SendMessage("s1", "hello", null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasMessageContaining("closed");
  }

  /** A host pid as its own PID namespace sees it ({@code NSpid} in {@code /proc/<pid>/status}). */
  private static long namespacePid(long hostPid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + hostPid + "/status"))) {
        if (line.startsWith("NSpid:")) {
          String[] ids = line.substring(6).trim().split("\\s+");
          return Long.parseLong(ids[ids.length - 1]);
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return hostPid;
  }
}
