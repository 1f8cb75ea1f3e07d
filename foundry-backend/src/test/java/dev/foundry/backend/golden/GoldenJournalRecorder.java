package dev.foundry.backend.golden;

import static dev.foundry.backend.runtime.RuntimeFixture.await;

import dev.foundry.backend.auditlog.AuditLog;
import dev.foundry.backend.organization.OrganizationActor;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.RuntimeFixture;
import dev.foundry.backend.sandbox.SandboxActor;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import dev.foundry.backend.sandbox.SandboxHost;
import dev.foundry.backend.task.TaskActor;
import dev.foundry.backend.testing.Git;
import dev.foundry.backend.user.UserActor;
import dev.foundry.sandbox.provider.SandboxProvider.SandboxSummary;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Records the golden journal that {@link GoldenJournalTest} replays: the real product actors on a
 * real runtime (the real sandbox-agent with its offline agent), driven through one small story per
 * kind, then the journal and the actor files copied into {@code src/test/resources/golden/data}.
 * Not part of the test suite: its name matches none of Surefire's patterns and it runs only when
 * asked for by name, as {@code src/test/resources/golden/README.md} says. Rerun it when the story
 * changes, and update the literals of the test from what it prints.
 *
 * <p>The data directory is fixed ({@value #RECORDING_DIR}) because its paths (the repository's
 * {@code file://} URL, the sandbox's work tree) are recorded in the journal; a fixed path keeps
 * them the same between recordings.
 */
class GoldenJournalRecorder {
  static final String RECORDING_DIR = "/tmp/foundry-golden-recording";

  /** Large enough that no snapshot is taken: the journal alone must rebuild every actor. */
  static final int SNAPSHOT_EVERY = 100_000;

  static final List<ActorKind<?, ?, ?>> KINDS =
      List.of(
          OrganizationActor.KIND, UserActor.KIND, TaskActor.KIND, AuditLog.KIND, SandboxActor.KIND);

  private static final String USER_ID = "local-ada";
  private static final String ORG_ID = "personal-ada";
  private static final TaskOwner OWNER = new TaskOwner(USER_ID, "ada", "ada@example.com", null);

  /**
   * Writes {@code src/test/resources/golden/data} of this module (Surefire runs tests in the module
   * directory). Runs only when asked for by name with {@code -Dgolden.record=true}.
   */
  @Test
  @EnabledIfSystemProperty(named = "golden.record", matches = "true")
  void recordsTheGoldenJournalIntoTheTestResources() throws Exception {
    Path out = Path.of("src/test/resources/golden").toAbsolutePath();
    Path work = Path.of(RECORDING_DIR);
    deleteRecursively(work);
    Files.createDirectories(work);
    Path data = work.resolve("data");
    Path remote = Git.seedRemote(work);

    ExecutorService io = Executors.newCachedThreadPool();
    LocalSandboxProvider provider =
        new LocalSandboxProvider(
            LocalSandboxSettings.of(data.resolve("sandboxes"), SandboxAgentBin.path(), io));
    RuntimeFixture fixture =
        new RuntimeFixture(data, Duration.ofMinutes(10), SNAPSHOT_EVERY, KINDS);
    try {
      SandboxHost.get(fixture.runtime().system())
          .configure(provider, (o, u) -> CompletableFuture.completedFuture(List.of()));
      record(fixture.runtime(), data, remote);
    } finally {
      // A clean stop: every actor closes its file. Sandbox servers outlive the actor system by
      // design; the recording does not need them any more, and destroying them through the
      // provider (not the actor) keeps the journal saying the sandbox is live.
      fixture.close();
      for (SandboxSummary s : provider.list().join()) {
        provider.destroy(s.sandboxId()).orTimeout(20, TimeUnit.SECONDS).join();
      }
      io.shutdownNow();
    }
    copyGolden(data, out.resolve("data"));
    System.out.println("golden journal written to " + out.resolve("data"));
  }

  private static void record(DurableRuntime runtime, Path data, Path remote) throws Exception {
    // app: a dev sign-in (user, personal organization, session), a second session that selects
    // the organization, and a third that signs out again.
    DurableRef<OrganizationProtocol.Command<?>> app =
        runtime.getOrCreate(
            OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP));
    OrganizationProtocol.LocalSignIn signIn =
        await(
            app.ask(
                new OrganizationProtocol.SignInLocalUser(
                    "golden-session-1", "ada", "Ada Lovelace", "ada@example.com")));
    check(signIn.userId().equals(USER_ID) && signIn.organizationId().equals(ORG_ID), "sign-in");
    await(app.ask(new OrganizationProtocol.IndexSession("golden-session-2", USER_ID)));
    await(app.ask(new OrganizationProtocol.SelectOrganization("golden-session-2", ORG_ID)));
    await(app.ask(new OrganizationProtocol.IndexSession("golden-session-3", USER_ID)));
    await(app.ask(new OrganizationProtocol.RemoveSession("golden-session-3")));

    // user: a default model, which the task's sessions then take.
    DurableRef<UserProtocol.Command<?>> user =
        runtime.getOrCreate(UserProtocol.TYPE, UserProtocol.key(USER_ID));
    await(user.ask(new UserProtocol.SetDefaultModel("claude-sonnet-4")));

    // organization: an invited member and a repository by file:// URL.
    DurableRef<OrganizationProtocol.Command<?>> org =
        runtime.getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(ORG_ID));
    await(
        org.ask(
            new OrganizationProtocol.UpsertMember(
                new FoundryOrganizationMember(
                    "local-grace", "Grace Hopper", "grace@example.com", "member", "invited"))));
    RepoRecord repo =
        await(org.ask(new OrganizationProtocol.AddRepository("file://" + remote, null)));

    // task + sandbox: the prompt provisions the sandbox, clones, and the offline agent answers
    // one turn; the turn's end comes back to the task and marks the owner's session unread.
    TaskRecord task =
        await(
            org.ask(
                new OrganizationProtocol.CreateTask(
                    repo.repoId(),
                    "hello golden journal",
                    null,
                    "golden-journal",
                    null,
                    null,
                    OWNER,
                    null)));
    DurableRef<TaskProtocol.Command<?>> taskRef =
        runtime.get(TaskProtocol.TYPE, TaskProtocol.key(ORG_ID, repo.repoId(), task.taskId()));
    waitFor(
        "the first turn to end",
        () -> await(taskRef.query(new TaskProtocol.GetDetail())).status() == TaskStatus.IDLE);
    String first =
        await(taskRef.query(new TaskProtocol.GetDetail())).sessionsSummary().get(0).sessionId();
    waitFor("the owner's unread mark", () -> unread(user, task.taskId(), first));

    // The rest of the story: a rename, a second session with a draft, the first session read,
    // and an attach (one more audit entry).
    await(taskRef.ask(new TaskProtocol.Rename("Pinned by the golden journal")));
    String second = await(taskRef.ask(new TaskProtocol.CreateSession(null, USER_ID)));
    await(
        taskRef.ask(
            new TaskProtocol.UpdateDraft(
                second, "a draft that survives replay", List.of(), USER_ID)));
    await(taskRef.ask(new TaskProtocol.SetSessionUnread(first, false, USER_ID)));
    await(taskRef.ask(new TaskProtocol.Attach("golden attach", null)));

    DurableRef<AuditLogProtocol.Command<?>> audit =
        runtime.getOrCreate(AuditLogProtocol.TYPE, AuditLogProtocol.key(ORG_ID));
    waitFor(
        "three audit entries",
        () -> await(audit.query(AuditLogProtocol.ListEntries.newest(10))).size() == 3);
    // Every durable tell delivered: nothing left for a restart to resend or resume.
    waitFor("every outbox to drain", () -> quiet(data));

    WorkspaceTaskDetail detail = await(taskRef.query(new TaskProtocol.GetDetail()));
    SandboxProtocol.SessionDetail transcript =
        await(
            runtime
                .get(SandboxProtocol.TYPE, SandboxProtocol.key(ORG_ID, task.taskId()))
                .query(new SandboxProtocol.GetSession(first)));
    System.out.println("--- golden ids (literals of GoldenJournalTest) ---");
    System.out.println("repoId      = " + repo.repoId());
    System.out.println("remoteUrl   = " + repo.remoteUrl());
    System.out.println("taskId      = " + task.taskId());
    System.out.println("branch      = " + detail.branch());
    System.out.println("session 1   = " + first);
    System.out.println("session 2   = " + second);
    System.out.println("turn        = " + transcript.transcript().get(0).turnId());
    System.out.println("sandbox cwd = " + detail.sandboxes().get(0).cwd());
    System.out.println("detail      = " + detail);
    System.out.println("transcript  = " + transcript);
    System.out.println(
        "user state  = " + await(user.query(new UserProtocol.GetTaskState(task.taskId()))));
    System.out.println(
        "audit       = " + await(audit.query(AuditLogProtocol.ListEntries.newest(10))));
  }

  private static boolean unread(
      DurableRef<UserProtocol.Command<?>> user, String taskId, String sessionId) {
    UserTaskState state = await(user.query(new UserProtocol.GetTaskState(taskId)));
    UserTaskState.SessionState s = state == null ? null : state.session(sessionId);
    return s != null && s.unread();
  }

  /** No actor has an undelivered outbox row, and no queue is listed as pending. */
  private static boolean quiet(Path data) throws SQLException, IOException {
    for (Path file : actorFiles(data.resolve("actors"))) {
      if (count(file, "SELECT count(*) FROM _runtime_outbox") > 0) {
        return false;
      }
    }
    return count(data.resolve("runtime/pending-work.db"), "SELECT count(*) FROM pending_work") == 0;
  }

  private static long count(Path file, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  /**
   * Copies the journal and the actor files, each checkpointed first so that the copy is one
   * self-contained file (no WAL or shared-memory file beside it).
   */
  private static void copyGolden(Path data, Path target) throws IOException, SQLException {
    deleteRecursively(target);
    List<Path> files = new ArrayList<>(actorFiles(data.resolve("actors")));
    files.add(data.resolve("journal/journal.db"));
    for (Path file : files) {
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
          Statement s = c.createStatement()) {
        s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      }
      Path copy = target.resolve(data.relativize(file));
      Files.createDirectories(copy.getParent());
      Files.copy(file, copy);
      System.out.println("  " + data.relativize(file) + " (" + Files.size(copy) + " bytes)");
    }
  }

  private static List<Path> actorFiles(Path actors) throws IOException {
    try (Stream<Path> walk = Files.walk(actors)) {
      return walk.filter(p -> p.toString().endsWith(".db")).sorted().toList();
    }
  }

  private static void waitFor(String what, Check check) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  @FunctionalInterface
  private interface Check {
    boolean ok() throws Exception;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("unexpected result of " + what);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
