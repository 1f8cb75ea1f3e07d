package dev.foundry.backend.sandbox;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static dev.foundry.backend.testing.Git.commitAll;
import static dev.foundry.backend.testing.Git.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.organization.ProductFixture;
import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.sandbox.provider.SandboxProvider.SandboxSummary;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.provider.local.SandboxIsolation;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.sandbox.SandboxView;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole flow through the actors, as the HTTP layer drives it: an organization creates a task
 * with a prompt, the task provisions its sandbox (the real sandbox-agent, the offline agent),
 * delivers the prompt, and the turn's end comes back to the task as session status, unread state
 * and git state. Git work (revert, push, sync, merge) runs for real against a file:// remote.
 */
class SessionFlowTest {
  private static final List<ActorKind<?, ?, ?>> KINDS = kinds();

  @TempDir Path tmp;

  private ExecutorService io;
  private LocalSandboxProvider provider;
  private ProductFixture product;
  private Path remote;
  private String org;
  private String repoId;
  private final TaskOwner owner = new TaskOwner("user-ada", "ada", "ada@example.com", null);

  private static List<ActorKind<?, ?, ?>> kinds() {
    List<ActorKind<?, ?, ?>> kinds = new ArrayList<>(ProductFixture.KINDS);
    kinds.add(SandboxActor.KIND);
    return List.copyOf(kinds);
  }

  @BeforeEach
  void start() throws Exception {
    io = Executors.newCachedThreadPool();
    remote = dev.foundry.backend.testing.Git.seedRemote(tmp);
    // The backend's default: sandboxes confined by bwrap, sharing only the test's git remote.
    provider =
        new LocalSandboxProvider(
            LocalSandboxSettings.of(tmp.resolve("sandboxes"), SandboxAgentBin.path(), io)
                .withIsolation(SandboxIsolation.BWRAP)
                .withSharedPaths(List.of(remote)));
    product = new ProductFixture(tmp.resolve("data"), KINDS);
    configureHost();
    org = product.newPersonalOrganization(owner.userId());
    repoId = product.addRepository(org, "file://" + remote).repoId();
  }

  private void configureHost() {
    SandboxHost.get(product.runtime().system())
        .configure(provider, (o, u) -> CompletableFuture.completedFuture(List.of()));
  }

  @AfterEach
  void cleanUp() {
    try {
      if (product != null) {
        product.close();
      }
    } finally {
      for (SandboxSummary s : provider.list().join()) {
        provider.destroy(s.sandboxId()).orTimeout(20, TimeUnit.SECONDS).join();
      }
      io.shutdownNow();
    }
  }

  // --- the flow ----------------------------------------------------------------------------

  @Test
  void aTaskWithAPromptRunsItsFirstTurnAndTheOwnerGetsItUnread() {
    TaskRecord record = product.createTask(org, repoId, "hello agent", owner);
    DurableRef<TaskProtocol.Command<?>> task = product.task(record);

    WorkspaceTaskDetail done = awaitIdle(task);
    WorkspaceSessionSummary first = done.sessionsSummary().get(0);
    assertThat(done.sessionsSummary()).hasSize(1);
    assertThat(first.status()).isEqualTo(WorkspaceSessionStatus.IDLE);
    assertThat(first.created()).isTrue();
    assertThat(done.status()).isEqualTo(TaskStatus.IDLE);
    assertThat(done.activeSandboxId()).isEqualTo(record.taskId());
    assertThat(done.sandboxes()).hasSize(1);

    SandboxProtocol.SessionDetail transcript = transcript(record, first.sessionId());
    // The session says first that the offline agent stands in for the model's agent.
    assertThat(transcript.transcript().get(0).sender()).isEqualTo("system");
    assertThat(transcript.transcript().get(0).kind()).isEqualTo("agent_substituted");
    assertThat(transcript.transcript().get(1).payload().path("text").asText())
        .isEqualTo("hello agent");
    assertThat(transcript.agentText(transcript.transcript().get(1).turnId()))
        .isEqualTo("You said: hello agent");
    // The model's agent (codex here) cannot be installed offline: the offline agent runs instead.
    assertThat(AgentChoice.agentOf(first.model())).isEqualTo("codex");
    assertThat(transcript.session().agent()).isEqualTo(SandboxProtocol.DEFAULT_AGENT);

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> unread(record, first.sessionId()), Boolean.TRUE::equals);
  }

  @Test
  void aSecondMessageRunsWhileQueriesAndOtherCommandsAreAnswered() {
    TaskRecord record = product.createTask(org, repoId, "first", owner);
    DurableRef<TaskProtocol.Command<?>> task = product.task(record);
    String session = awaitIdle(task).sessionsSummary().get(0).sessionId();

    // A 10 s turn: the task answers queries and other commands meanwhile.
    String turn =
        await(task.ask(new TaskProtocol.SendMessage(session, "/slow 100", owner.userId())));
    assertThat(turn).startsWith("turn-");
    WorkspaceTaskDetail running = await(task.query(new TaskProtocol.GetDetail()));
    assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(running.sessionsSummary().get(0).status()).isEqualTo(WorkspaceSessionStatus.RUNNING);
    await(task.ask(new TaskProtocol.Rename("Renamed while running")));
    assertThatThrownBy(
            () -> await(task.ask(new TaskProtocol.SendMessage(session, "again", owner.userId()))))
        .isInstanceOf(CommandRejectedException.class)
        .hasMessageContaining("running a turn");

    assertThat(await(task.ask(new TaskProtocol.StopSession(session)))).isTrue();
    WorkspaceTaskDetail stopped = awaitIdle(task);
    assertThat(stopped.title()).isEqualTo("Renamed while running");

    // And the session takes the next message.
    await(task.ask(new TaskProtocol.SendMessage(session, "after the stop", owner.userId())));
    awaitIdle(task);
    SandboxProtocol.SessionDetail detail = transcript(record, session);
    assertThat(detail.transcript())
        .filteredOn(e -> "client".equals(e.sender()))
        .extracting(e -> e.payload().path("text").asText())
        .containsExactly("first", "/slow 100", "after the stop");
  }

  @Test
  void aTaskCreatedWithAModelOpensItsFirstSessionWithIt() {
    TaskRecord record = product.createTask(org, repoId, "first", owner, "claude-sonnet-4");
    WorkspaceTaskDetail done = awaitIdle(product.task(record));
    assertThat(done.sessionsSummary().get(0).model()).isEqualTo("claude-sonnet-4");
    assertThat(transcript(record, done.sessionsSummary().get(0).sessionId()).session().model())
        .isEqualTo("claude-sonnet-4");
  }

  @Test
  void anotherUsersMessageMakesThemTheOwner() {
    TaskRecord record = product.createTask(org, repoId, "first", owner);
    DurableRef<TaskProtocol.Command<?>> task = product.task(record);
    String session = awaitIdle(task).sessionsSummary().get(0).sessionId();
    await(
        product
            .user("user-bob")
            .ask(
                new UserProtocol.UpsertProfile(
                    "Bob", "bob@example.com", null, null, "bob", "member", List.of(org))));

    await(task.ask(new TaskProtocol.SendMessage(session, "bob here", "user-bob")));
    WorkspaceTaskDetail after = awaitIdle(task);
    assertThat(after.primaryUserLogin()).isEqualTo("bob");
  }

  @Test
  void anAgentCrashEndsTheSessionInErrorWithTheReason() {
    TaskRecord record = product.createTask(org, repoId, "/crash 3", owner);
    DurableRef<TaskProtocol.Command<?>> task = product.task(record);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> await(task.query(new TaskProtocol.GetDetail())).status(),
            TaskStatus.ERROR::equals);
    WorkspaceSessionSummary session =
        await(task.query(new TaskProtocol.GetDetail())).sessionsSummary().get(0);
    assertThat(session.status()).isEqualTo(WorkspaceSessionStatus.ERROR);
    assertThat(session.errorMessage()).isNotBlank();
  }

  @Test
  void aFileTheAgentWritesShowsInTheTaskAndARevertRemovesIt() {
    TaskRecord record = product.createTask(org, repoId, "/write notes/todo.txt milk", owner);
    DurableRef<TaskProtocol.Command<?>> task = product.task(record);
    awaitIdle(task);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(await(task.query(new TaskProtocol.GetDetail())).fileChanges())
                    .anySatisfy(f -> assertThat(f.path()).isEqualTo("notes/todo.txt")));

    assertThat(await(task.ask(new TaskProtocol.RevertFile("notes/todo.txt")))).isEmpty();
    assertThat(await(task.query(new TaskProtocol.GetDetail())).fileChanges()).isEmpty();
  }

  @Test
  void pushMergeAndAConflictingSyncAreRealGitOperations() throws Exception {
    TaskRecord record = product.createTask(org, repoId, "/write feature.txt the feature", owner);
    DurableRef<TaskProtocol.Command<?>> task = product.task(record);
    awaitIdle(task);
    Path work = Path.of(await(task.query(new TaskProtocol.GetDetail())).sandboxes().get(0).cwd());
    commitAll(work, "the feature");

    assertThat(await(task.ask(new TaskProtocol.Push("ready", null)))).isTrue();
    assertThat(git(remote, "branch", "--list")).contains(record.branchName());

    assertThat(await(task.ask(new TaskProtocol.Merge("done", null)))).isTrue();
    assertThat(git(remote, "show", "main:feature.txt")).contains("the feature");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> product.audit(org, record.taskId()).stream().map(e -> e.kind()).toList(),
            kinds -> kinds.containsAll(List.of("task.push", "task.merge")));

    // Someone else changes the README on main; the task changes it too: sync must refuse, name
    // the file and leave the branch as it was.
    Path other = tmp.resolve("other");
    git(tmp, "clone", "file://" + remote, other.toString());
    Files.writeString(other.resolve("README.md"), "# theirs\n");
    commitAll(other, "theirs");
    git(other, "push", "origin", "main");
    Files.writeString(work.resolve("README.md"), "# ours\n");
    commitAll(work, "ours");
    String headBefore = git(work, "rev-parse", "HEAD");

    assertThatThrownBy(() -> await(task.ask(new TaskProtocol.Sync("catch up", null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasMessageContaining("README.md")
        .hasMessageContaining("aborted");
    assertThat(git(work, "rev-parse", "HEAD")).isEqualTo(headBefore);
    // The failure is in the task's history too, with git's words.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                product.audit(org, record.taskId()).stream()
                    .filter(e -> e.kind().equals("task.sync_failed"))
                    .map(e -> e.payloadJson())
                    .toList(),
            failures -> failures.size() == 1 && failures.get(0).contains("sync_conflict"));
    assertThat(git(work, "status", "--porcelain")).isBlank();
    assertThat(Files.exists(work.resolve(".git/rebase-merge"))).isFalse();
  }

  @Test
  void aRestartMidTurnEndsTheSessionTruthfullyAndTheSandboxServesAgain() {
    TaskRecord record = product.createTask(org, repoId, "first", owner);
    DurableRef<TaskProtocol.Command<?>> task = product.task(record);
    String session = awaitIdle(task).sessionsSummary().get(0).sessionId();
    await(task.ask(new TaskProtocol.SendMessage(session, "/slow 100", owner.userId())));

    product.restart();
    configureHost();
    DurableRef<TaskProtocol.Command<?>> again = product.task(record);
    // The sandbox wakes up on its own and tells the task the turn did not survive.
    product
        .runtime()
        .getOrCreate(SandboxProtocol.TYPE, SandboxProtocol.key(org, record.taskId()))
        .query(new SandboxProtocol.GetSandbox());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                await(again.query(new TaskProtocol.GetDetail())).sessionsSummary().get(0).status(),
            WorkspaceSessionStatus.ERROR::equals);
    assertThat(
            await(again.query(new TaskProtocol.GetDetail()))
                .sessionsSummary()
                .get(0)
                .errorMessage())
        .contains("restarted");

    await(again.ask(new TaskProtocol.SendMessage(session, "still there?", owner.userId())));
    awaitIdle(again);
  }

  @Test
  void archivingDestroysTheSandboxAndLeavesNoProcess() {
    TaskRecord record = product.createTask(org, repoId, "first", owner);
    DurableRef<TaskProtocol.Command<?>> task = product.task(record);
    awaitIdle(task);
    assertThat(provider.list().join()).hasSize(1);

    await(task.ask(new TaskProtocol.Archive("done", null)));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                provider.list().join().stream()
                    .filter(s -> s.sandboxId().equals(record.taskId()))
                    .toList(),
            List::isEmpty);
    // The provider's files go before the actor records the destroy: wait for the record too.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              SandboxView view =
                  await(
                      product
                          .runtime()
                          .getOrCreate(
                              SandboxProtocol.TYPE, SandboxProtocol.key(org, record.taskId()))
                          .query(new SandboxProtocol.GetSandbox()));
              return view.state();
            },
            "destroyed"::equals);
    assertThat(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse("")))
        .noneMatch(c -> c.contains(tmp.resolve("sandboxes").toString()));
  }

  // --- helpers -------------------------------------------------------------------------------

  private WorkspaceTaskDetail awaitIdle(DurableRef<TaskProtocol.Command<?>> task) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> await(task.query(new TaskProtocol.GetDetail())).status(),
            TaskStatus.IDLE::equals);
    return await(task.query(new TaskProtocol.GetDetail()));
  }

  private SandboxProtocol.SessionDetail transcript(TaskRecord record, String sessionId) {
    return await(
        product
            .runtime()
            .getOrCreate(SandboxProtocol.TYPE, SandboxProtocol.key(org, record.taskId()))
            .query(new SandboxProtocol.GetSession(sessionId)));
  }

  private Boolean unread(TaskRecord record, String sessionId) {
    UserTaskState state =
        await(product.user(owner.userId()).query(new UserProtocol.GetTaskState(record.taskId())));
    UserTaskState.SessionState s = state == null ? null : state.session(sessionId);
    return s != null && s.unread();
  }
}
