package dev.foundry.backend.golden;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.organization.AppSnapshots;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.RuntimeFixture;
import dev.foundry.backend.sandbox.SandboxHost;
import dev.foundry.migrations.MigrationSet;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.shared.app.FoundryAppSnapshot;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.contracts.AuditLogEvent;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.sandbox.GitOwner;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.sandbox.SandboxView;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspaceSandboxSummary;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the journal format: a journal and actor files recorded by the real product actors ({@link
 * GoldenJournalRecorder}, {@code src/test/resources/golden}) must still answer the same, both as
 * they are and when every actor file is lost and rebuilt from the journal alone. A renamed kind, a
 * changed type name, a key laid out differently or an {@code apply} that reads an old event
 * differently fails here. The expected values are literals from the recording, not computed.
 */
class GoldenJournalTest {
  private static final String ORG = "personal-ada";
  private static final String USER = "local-ada";
  private static final String REPO = "75ae9f3eae59c5a3";
  private static final String REMOTE = "file:///tmp/foundry-golden-recording/remote.git";
  private static final String TASK = "64ae48de-a8ef-43fc-b1eb-e7e838e4d739";
  private static final String BRANCH = "golden-journal";
  private static final String SESSION_1 = "session-c36d77aa-6d51-3c10-a96a-fdb56d953be8";
  private static final String SESSION_2 = "session-3c13d445-3f43-4fdb-8fe0-c36dd6e8c531";
  private static final String TURN = "turn-" + SESSION_1 + "/prompt";
  private static final String SANDBOX_DIR = "/tmp/foundry-golden-recording/data/sandboxes/" + TASK;
  private static final String SANDBOX_PERSISTENCE_ID = "sandbox|org/" + ORG + "/sandbox/" + TASK;

  private static final List<ActorKind<?, ?, ?>> KINDS = GoldenJournalRecorder.KINDS;

  @TempDir Path tmp;

  private final ExecutorService io = Executors.newCachedThreadPool();
  private RuntimeFixture fixture;

  @AfterEach
  void stop() {
    try {
      if (fixture != null) {
        fixture.close();
      }
    } finally {
      io.shutdownNow();
    }
  }

  // --- the tests ---------------------------------------------------------------------------

  @Test
  void theGoldenJournalHoldsEveryKindUnderItsPersistenceIdAndNoSnapshot() throws Exception {
    // Opened on a copy: SQLite writes beside a file it opens, even to read it.
    Path journal = copyGolden().resolve("journal/journal.db");
    Map<String, Long> events = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + journal);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT persistence_id, count(*) FROM event_journal"
                        + " GROUP BY persistence_id ORDER BY persistence_id")) {
      while (rs.next()) {
        events.put(rs.getString(1), rs.getLong(2));
      }
      // Without a snapshot, rebuilding an actor below is a replay of its whole journal.
      assertThat(count(c, "SELECT count(*) FROM snapshot")).isZero();
    }
    assertThat(events)
        .containsExactly(
            Map.entry("audit-log|org/personal-ada/audit-log", 4L),
            Map.entry("organization|org/app", 8L),
            Map.entry("organization|org/personal-ada", 13L),
            Map.entry(SANDBOX_PERSISTENCE_ID, 20L),
            Map.entry("task|org/personal-ada/task/" + REPO + "/" + TASK, 14L),
            Map.entry("user|org/app/user/local-ada", 8L));
  }

  @Test
  void theRecordedActorFilesAnswerWhatTheRecordingLeft() throws Exception {
    Path data = copyGolden();
    DurableRuntime runtime = start(data);

    assertRecordedState(runtime, data);
  }

  @Test
  void everyActorRebuiltFromTheJournalAloneAnswersTheSame() throws Exception {
    Path data = copyGolden();
    List<Path> recordedFiles = actorFiles(data);
    assertThat(recordedFiles).hasSize(6);
    deleteRecursively(data.resolve("actors"));
    DurableRuntime runtime = start(data);

    assertRecordedState(runtime, data);
    // Rebuilt at the same paths: the file layout (kind, shard, encoded key) is part of the format.
    assertThat(actorFiles(data)).isEqualTo(recordedFiles);
  }

  @Test
  void filesOfTheRecordingsReleaseMigrateAndTakeNewCommands() throws Exception {
    Path data = copyGolden();
    Map<Path, Integer> recorded = schemaVersions(data);
    // The recording predates later migrations: starting on it is an upgrade.
    assertThat(recorded)
        .as("some recorded files are older than this build's schema")
        .anySatisfy((file, version) -> assertThat(version).isLessThan(latestVersion(file)));
    DurableRuntime runtime = start(data);

    assertRecordedState(runtime, data);
    WorkspaceTaskDetail renamed =
        await(
            runtime
                .get(TaskProtocol.TYPE, TaskProtocol.key(ORG, REPO, TASK))
                .ask(new TaskProtocol.Rename("renamed after the upgrade")));
    assertThat(renamed.title()).isEqualTo("renamed after the upgrade");
    FoundryUser user =
        await(
            runtime
                .get(UserProtocol.TYPE, UserProtocol.key(USER))
                .ask(new UserProtocol.SetDefaultModel("gpt-5")));
    assertThat(user.defaultModel()).isEqualTo("gpt-5");
    Long entry =
        await(
            runtime
                .get(AuditLogProtocol.TYPE, AuditLogProtocol.key(ORG))
                .ask(
                    new AuditLogProtocol.Append(
                        "golden.upgraded", REPO, TASK, BRANCH, Map.of(), null)));
    assertThat(entry).isEqualTo(4L);

    Map<Path, Integer> migrated = schemaVersions(data);
    assertThat(migrated.keySet()).isEqualTo(recorded.keySet());
    migrated.forEach(
        (file, version) -> assertThat(version).as("%s", file).isEqualTo(latestVersion(file)));
  }

  /** Each actor file's schema version ({@code PRAGMA user_version}), by path under actors/. */
  private static Map<Path, Integer> schemaVersions(Path data) throws Exception {
    Map<Path, Integer> versions = new LinkedHashMap<>();
    for (Path file : actorFiles(data)) {
      try (Connection c =
              DriverManager.getConnection("jdbc:sqlite:" + data.resolve("actors").resolve(file));
          ResultSet rs = c.createStatement().executeQuery("PRAGMA user_version")) {
        versions.put(file, rs.getInt(1));
      }
    }
    return versions;
  }

  /** The latest schema of the kind whose folder holds the file (actors/<kind>/...). */
  private static int latestVersion(Path file) {
    return MigrationSet.load(file.getName(0).toString()).latestVersion();
  }

  // --- what the recording left, kind by kind ------------------------------------------------

  /**
   * Reads each actor before any actor with outbox entries for it wakes up. An actor rebuilt from
   * the journal alone gets back every outbox entry it ever wrote (deliveries are not journaled) and
   * sends them all again: the task its old per-user states to the user and its old summaries to the
   * organization, the sandbox its turn end and git state to the task. What they change afterwards
   * (timestamps, and with other command ids possibly the user's selection) is not the recording.
   */
  private void assertRecordedState(DurableRuntime runtime, Path data) throws Exception {
    assertUser(runtime);
    assertAuditLog(runtime);
    assertApp(runtime);
    assertOrganization(runtime);
    assertTask(runtime);
    assertSandbox(runtime);
    assertReattachFindsNoSandboxAndChangesNothing(runtime, data);
  }

  private void assertUser(DurableRuntime runtime) {
    DurableRef<UserProtocol.Command<?>> user =
        runtime.get(UserProtocol.TYPE, UserProtocol.key(USER));
    FoundryUser profile = await(user.query(new UserProtocol.GetProfile()));
    assertThat(profile)
        .isEqualTo(
            new FoundryUser(
                USER,
                "Ada Lovelace",
                "ada@example.com",
                "ada",
                "Local user",
                List.of(ORG),
                "claude-sonnet-4"));

    UserTaskState state = await(user.query(new UserProtocol.GetTaskState(TASK)));
    assertThat(state.activeSessionId()).isEqualTo(SESSION_2);
    assertThat(state.sessions())
        .extracting(s -> s.sessionId(), s -> s.unread(), s -> s.draft().text())
        .containsExactlyInAnyOrder(
            tuple(SESSION_1, false, ""), tuple(SESSION_2, false, "a draft that survives replay"));
  }

  private void assertAuditLog(DurableRuntime runtime) {
    List<AuditLogEvent> entries =
        await(
            runtime
                .get(AuditLogProtocol.TYPE, AuditLogProtocol.key(ORG))
                .query(AuditLogProtocol.ListEntries.newest(10)));
    assertThat(entries)
        .extracting(
            AuditLogEvent::id,
            AuditLogEvent::kind,
            AuditLogEvent::taskId,
            AuditLogEvent::repoId,
            AuditLogEvent::branchName,
            AuditLogEvent::payloadJson)
        .containsExactly(
            tuple(3L, "task.attach", TASK, REPO, BRANCH, "{\"reason\":\"golden attach\"}"),
            tuple(2L, "task.initialized", TASK, REPO, BRANCH, "{\"sandboxProviderId\":\"local\"}"),
            tuple(1L, "task.created", TASK, REPO, BRANCH, "{\"repoId\":\"" + REPO + "\"}"));
  }

  private void assertApp(DurableRuntime runtime) {
    DurableRef<OrganizationProtocol.Command<?>> app =
        runtime.get(OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP));
    assertThat(await(app.query(new OrganizationProtocol.FindSession("golden-session-1"))))
        .extracting(s -> s.userId(), s -> s.activeOrganizationId())
        .containsExactly(USER, ORG);
    assertThat(await(app.query(new OrganizationProtocol.FindSession("golden-session-2"))))
        .extracting(s -> s.userId(), s -> s.activeOrganizationId())
        .containsExactly(USER, ORG);
    // Signed out during the recording.
    assertThat(await(app.query(new OrganizationProtocol.FindSession("golden-session-3")))).isNull();
    assertThat(await(app.query(new OrganizationProtocol.FindUserByEmail("ada@example.com"))))
        .isEqualTo(USER);

    // The app snapshot joins the session index, the user and the organization.
    FoundryAppSnapshot shell = await(AppSnapshots.snapshot(runtime, "golden-session-1"));
    assertThat(shell.auth()).isEqualTo(new FoundryAppSnapshot.Auth("signed_in", USER));
    assertThat(shell.activeOrganizationId()).isEqualTo(ORG);
    assertThat(shell.organizations()).extracting(FoundryOrganization::id).containsExactly(ORG);
  }

  private void assertOrganization(DurableRuntime runtime) {
    DurableRef<OrganizationProtocol.Command<?>> org =
        runtime.get(OrganizationProtocol.TYPE, OrganizationProtocol.key(ORG));
    FoundryOrganization organization = await(org.query(new OrganizationProtocol.GetOrganization()));
    assertThat(organization.kind()).isEqualTo("personal");
    assertThat(organization.settings().displayName()).isEqualTo("Ada Lovelace");
    assertThat(organization.members())
        .containsExactlyInAnyOrder(
            new FoundryOrganizationMember(
                USER, "Ada Lovelace", "ada@example.com", "owner", "active"),
            new FoundryOrganizationMember(
                "local-grace", "Grace Hopper", "grace@example.com", "member", "invited"));

    assertThat(await(org.query(new OrganizationProtocol.ListRepos())))
        .extracting(
            RepoRecord::repoId, RepoRecord::remoteUrl, RepoRecord::label, r -> r.defaultBranch())
        .containsExactly(tuple(REPO, REMOTE, "foundry-golden-recording/remote", "main"));

    OrganizationSummarySnapshot summary =
        await(org.query(new OrganizationProtocol.GetOrganizationSummary()));
    assertThat(summary.repos())
        .extracting(r -> r.id(), r -> r.taskCount())
        .containsExactly(tuple(REPO, 1));
    assertThat(summary.taskSummaries())
        .extracting(
            WorkspaceTaskSummary::id,
            WorkspaceTaskSummary::title,
            WorkspaceTaskSummary::status,
            WorkspaceTaskSummary::branch,
            s -> s.sessionsSummary().size())
        .containsExactly(tuple(TASK, "Pinned by the golden journal", TaskStatus.IDLE, BRANCH, 2));
    assertThat(await(org.query(new OrganizationProtocol.GetTaskIndexEntry(TASK))))
        .isEqualTo(
            new OrganizationProtocol.TaskIndexEntry(
                TASK, REPO, BRANCH, "Pinned by the golden journal", true));
    assertThat(await(org.query(new OrganizationProtocol.FindTaskForBranch(REPO, BRANCH))))
        .isEqualTo(TASK);
  }

  private void assertTask(DurableRuntime runtime) {
    WorkspaceTaskDetail detail =
        await(
            runtime
                .get(TaskProtocol.TYPE, TaskProtocol.key(ORG, REPO, TASK))
                .query(new TaskProtocol.GetDetail()));
    assertThat(detail.title()).isEqualTo("Pinned by the golden journal");
    assertThat(detail.task()).isEqualTo("hello golden journal");
    assertThat(detail.status()).isEqualTo(TaskStatus.IDLE);
    assertThat(detail.branch()).isEqualTo(BRANCH);
    assertThat(detail.repoName()).isEqualTo("foundry-golden-recording/remote");
    assertThat(detail.primaryUserLogin()).isEqualTo("ada");
    assertThat(detail.fileChanges()).isEmpty();
    assertThat(detail.sessionsSummary())
        .extracting(
            WorkspaceSessionSummary::sessionId,
            WorkspaceSessionSummary::sessionName,
            WorkspaceSessionSummary::model,
            WorkspaceSessionSummary::status,
            WorkspaceSessionSummary::sandboxSessionId,
            WorkspaceSessionSummary::created,
            WorkspaceSessionSummary::thinkingSinceMs)
        .containsExactly(
            tuple(
                SESSION_1,
                "Session 1",
                "claude-sonnet-4",
                WorkspaceSessionStatus.IDLE,
                SESSION_1,
                true,
                null),
            tuple(
                SESSION_2,
                "Session 2",
                "claude-sonnet-4",
                WorkspaceSessionStatus.PENDING_SESSION_CREATE,
                null,
                false,
                null));
    assertThat(detail.sandboxes())
        .extracting(WorkspaceSandboxSummary::sandboxProviderId, s -> s.sandboxId(), s -> s.cwd())
        .containsExactly(tuple("local", TASK, SANDBOX_DIR + "/work"));
    assertThat(detail.activeSandboxId()).isEqualTo(TASK);
  }

  private void assertSandbox(DurableRuntime runtime) {
    DurableRef<SandboxProtocol.Command<?>> sandbox =
        runtime.get(SandboxProtocol.TYPE, SandboxProtocol.key(ORG, TASK));
    SandboxView view = await(sandbox.query(new SandboxProtocol.GetSandbox()));
    assertThat(view.providerId()).isEqualTo("local");
    assertThat(view.sandboxId()).isEqualTo(TASK);
    assertThat(view.state()).isEqualTo("running");
    assertThat(view.workDir()).isEqualTo(SANDBOX_DIR + "/work");
    assertThat(view.reattachedAt()).isNull();
    assertThat(view.repository())
        .extracting(r -> r.remoteUrl(), r -> r.branch(), r -> r.dir())
        .containsExactly(REMOTE, BRANCH, SANDBOX_DIR + "/work");
    assertThat(view.gitOwner()).isEqualTo(new GitOwner(USER, "ada", "ada@example.com", List.of()));
    assertThat(view.gitState()).isEqualTo(new GitState(BRANCH, 0, 0, List.of(), 0, 0));

    assertThat(await(sandbox.query(new SandboxProtocol.ListSessions())))
        .extracting(
            s -> s.sessionId(), s -> s.agent(), s -> s.model(), s -> s.status(), s -> s.turnId())
        .containsExactly(tuple(SESSION_1, "mock", "claude-sonnet-4", "idle", TURN));

    SandboxProtocol.SessionDetail session =
        await(sandbox.query(new SandboxProtocol.GetSession(SESSION_1)));
    assertThat(session.transcript())
        .extracting(e -> e.eventIndex(), e -> e.sender(), e -> e.kind())
        .containsExactly(
            tuple(1L, "client", "user_message"),
            tuple(2L, "agent", "agent_thought_chunk"),
            tuple(3L, "agent", "agent_message_chunk"),
            tuple(4L, "agent", "agent_message_chunk"),
            tuple(5L, "agent", "agent_message_chunk"),
            tuple(6L, "agent", "agent_message_chunk"),
            tuple(7L, "agent", "agent_message_chunk"),
            tuple(8L, "system", "turn_ended"));
    assertThat(session.transcript().get(0).payload().path("text").asText())
        .isEqualTo("hello golden journal");
    assertThat(session.agentText(TURN)).isEqualTo("You said: hello golden journal");
    assertThat(session.transcript().get(7).payload().path("stopReason").asText())
        .isEqualTo("end_turn");
  }

  /**
   * A sandbox actor's first activation in a process tells itself {@code Reattach}, which looks for
   * its sandbox through the provider. Here the sandbox directory was not kept and the agent binary
   * does not exist: the attempt must complete without events, leaving the recorded state as it was.
   */
  private void assertReattachFindsNoSandboxAndChangesNothing(DurableRuntime runtime, Path data)
      throws Exception {
    // The recording journaled one reattach already (the actor's first activation there).
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> reattachOutcomes(data).size(), n -> n == 2);
    assertThat(reattachOutcomes(data)).containsExactly("no events", "no events");
    assertSandbox(runtime);
  }

  // --- helpers --------------------------------------------------------------------------------

  /** How each journaled {@code sandbox.reattach} completed: "no events", or its events or error. */
  private static List<String> reattachOutcomes(Path data) throws SQLException, IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> reattachIds = new ArrayList<>();
    List<String> outcomes = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + data.resolve("journal/journal.db"));
        PreparedStatement s =
            c.prepareStatement(
                "SELECT event_ser_manifest, event_payload FROM event_journal"
                    + " WHERE persistence_id = ? ORDER BY sequence_number")) {
      s.setString(1, SANDBOX_PERSISTENCE_ID);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          JsonNode event = json.readTree(rs.getBytes(2));
          String id = event.path("commandId").asText();
          if (rs.getString(1).equals("runtime.command-accepted")
              && event.path("command").path("@type").asText().equals("sandbox.reattach")) {
            reattachIds.add(id);
          } else if (rs.getString(1).equals("runtime.command-completed")
              && reattachIds.contains(id)) {
            boolean nothing = event.path("events").isEmpty() && event.path("error").isNull();
            outcomes.add(nothing ? "no events" : event.path("events") + " " + event.path("error"));
          }
        }
      }
    }
    return outcomes;
  }

  private DurableRuntime start(Path data) {
    fixture =
        new RuntimeFixture(
            data, Duration.ofMinutes(5), GoldenJournalRecorder.SNAPSHOT_EVERY, KINDS);
    // As FoundryApp configures it: sandboxes under <data>/sandboxes. The binary does not exist,
    // so nothing in this test can start a sandbox-agent.
    SandboxHost.get(fixture.runtime().system())
        .configure(
            new LocalSandboxProvider(
                LocalSandboxSettings.of(
                    data.resolve("sandboxes"), tmp.resolve("no-sandbox-agent-binary"), io)),
            (o, u) -> CompletableFuture.completedFuture(List.of()));
    return fixture.runtime();
  }

  private static Path golden() throws URISyntaxException {
    return Path.of(GoldenJournalTest.class.getResource("/golden/data").toURI());
  }

  /** A private copy: the runtime writes to what it opens, and the golden files must not change. */
  private Path copyGolden() throws IOException, URISyntaxException {
    Path source = golden();
    Path target = tmp.resolve("data");
    try (Stream<Path> walk = Files.walk(source)) {
      for (Path p : walk.toList()) {
        Path copy = target.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(copy);
        } else {
          Files.copy(p, copy);
        }
      }
    }
    return target;
  }

  private static List<Path> actorFiles(Path data) throws IOException {
    Path actors = data.resolve("actors");
    try (Stream<Path> walk = Files.walk(actors)) {
      return walk.filter(p -> p.toString().endsWith(".db"))
          .map(actors::relativize)
          .sorted()
          .toList();
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }
}
