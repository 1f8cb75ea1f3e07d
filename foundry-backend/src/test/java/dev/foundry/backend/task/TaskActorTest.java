package dev.foundry.backend.task;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.organization.ProductFixture;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.Archive;
import dev.foundry.backend.protocol.TaskProtocol.Attach;
import dev.foundry.backend.protocol.TaskProtocol.ChangeModel;
import dev.foundry.backend.protocol.TaskProtocol.ChangeOwner;
import dev.foundry.backend.protocol.TaskProtocol.CloseSession;
import dev.foundry.backend.protocol.TaskProtocol.CreateSession;
import dev.foundry.backend.protocol.TaskProtocol.GetDetail;
import dev.foundry.backend.protocol.TaskProtocol.GetRecord;
import dev.foundry.backend.protocol.TaskProtocol.GetSessionDetail;
import dev.foundry.backend.protocol.TaskProtocol.Kill;
import dev.foundry.backend.protocol.TaskProtocol.MarkUnread;
import dev.foundry.backend.protocol.TaskProtocol.Merge;
import dev.foundry.backend.protocol.TaskProtocol.PublishPr;
import dev.foundry.backend.protocol.TaskProtocol.Push;
import dev.foundry.backend.protocol.TaskProtocol.Rename;
import dev.foundry.backend.protocol.TaskProtocol.RenameSession;
import dev.foundry.backend.protocol.TaskProtocol.SelectSession;
import dev.foundry.backend.protocol.TaskProtocol.SetSessionUnread;
import dev.foundry.backend.protocol.TaskProtocol.Switch;
import dev.foundry.backend.protocol.TaskProtocol.Sync;
import dev.foundry.backend.protocol.TaskProtocol.SyncSessionStatus;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.TaskProtocol.UpdateDraft;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.shared.contracts.AttachResult;
import dev.foundry.shared.contracts.AuditLogEvent;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.SwitchResult;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.realtime.RealtimeEvents;
import dev.foundry.shared.workspace.WorkspaceLineAttachment;
import dev.foundry.shared.workspace.WorkspaceModels;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceSessionStatus;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskActorTest {
  @TempDir static Path dataDir;
  private static ProductFixture product;
  private String org;
  private TaskRecord record;
  private DurableRef<TaskProtocol.Command<?>> task;

  @BeforeAll
  static void start() {
    product = new ProductFixture(dataDir);
  }

  @AfterAll
  static void stop() {
    product.close();
  }

  @BeforeEach
  void newTask() {
    org = product.newPersonalOrganization("alice");
    RepoRecord repo = product.addRepository(org, "file:///srv/git/acme/widgets.git");
    record =
        product.createTask(
            org,
            repo.repoId(),
            "Add a dark mode",
            new TaskOwner("alice", "alice", "alice@example.com", null));
    task = product.task(record);
    awaitOrgSummary(s -> s.status() == TaskStatus.IDLE);
  }

  private void awaitOrgSummary(java.util.function.Predicate<WorkspaceTaskSummary> condition) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              WorkspaceTaskSummary s = product.summary(org, record.taskId());
              return s != null && condition.test(s);
            });
  }

  private List<String> auditKinds() {
    return product.audit(org, record.taskId()).stream().map(AuditLogEvent::kind).toList();
  }

  private static void assertRejected(Runnable call, String code) {
    assertThatThrownBy(call::run)
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", code);
  }

  @Test
  void aNewTaskWithoutSandboxesIsCompleteInItsFirstWriteWithItsOwner() {
    // This runtime runs no sandboxes: nothing to provision, so Initialize completes the task.
    assertThat(record.status()).isEqualTo(TaskStatus.INIT_COMPLETE);
    TaskRecord now = await(task.query(new GetRecord()));
    assertThat(now.status()).isEqualTo(TaskStatus.INIT_COMPLETE);
    assertThat(now.sandboxProviderId()).isEqualTo("local");
    assertThat(product.summary(org, record.taskId()).primaryUserLogin()).isEqualTo("alice");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> auditKinds().containsAll(List.of("task.created", "task.initialized")));
  }

  @Test
  void attachAndSwitchAnswerAndAreAudited() {
    assertThat(await(task.ask(new Attach("look", null)))).isEqualTo(new AttachResult("", null));
    assertThat(await(task.ask(new Switch())))
        .isEqualTo(new SwitchResult(org, record.taskId(), "local", ""));
    await().atMost(Duration.ofSeconds(10)).until(() -> auditKinds().contains("task.attach"));
    AuditLogEvent attach =
        product.audit(org, record.taskId()).stream()
            .filter(e -> e.kind().equals("task.attach"))
            .findFirst()
            .orElseThrow();
    assertThat(attach.payloadJson()).isEqualTo("{\"reason\":\"look\"}");
    assertThat(attach.branchName()).isEqualTo(record.branchName());
  }

  @Test
  void gitWorkAndPullRequestNeedASandboxAndSaySo() {
    // Sync and merge are real git operations in the sandbox (SessionFlowTest), not audit no-ops.
    assertRejected(() -> await(task.ask(new Sync("s", null))), "no_active_sandbox");
    assertRejected(() -> await(task.ask(new Merge("m", null))), "no_active_sandbox");
    assertRejected(() -> await(task.ask(new Push("p", null))), "no_active_sandbox");
    assertRejected(() -> await(task.ask(new PublishPr())), "no_active_sandbox");
  }

  @Test
  void anArchivedTaskRefusesFurtherWorkAndItsOrganizationSeesIt() {
    assertThat(await(task.ask(new Archive("done", null)))).isTrue();
    awaitOrgSummary(s -> s.status() == TaskStatus.ARCHIVED);
    assertRejected(() -> await(task.ask(new Rename("new title"))), "task_archived");
    assertRejected(() -> await(task.ask(new CreateSession(null, null))), "task_archived");
    assertRejected(() -> await(task.ask(new Kill("x", null))), "task_archived");
    assertThat(await(task.query(new GetRecord())).title()).isEqualTo(record.title());
    await().atMost(Duration.ofSeconds(10)).until(() -> auditKinds().contains("task.archive"));
  }

  @Test
  void archivingATaskMidTurnEndsTheTurnItWillNeverHearTheEndOf() {
    String s1 = await(task.ask(new CreateSession(null, null)));
    await(task.ask(new SyncSessionStatus(s1, "running", null)));

    assertThat(await(task.ask(new Archive("done", null)))).isTrue();

    // The sandbox's report of the turn's end is refused by the archived task: none is needed.
    assertRejected(() -> await(task.ask(new SyncSessionStatus(s1, "idle", null))), "task_archived");
    var session = await(task.query(new GetSessionDetail(s1)));
    assertThat(session.status()).isEqualTo(WorkspaceSessionStatus.ERROR);
    assertThat(session.thinkingSinceMs()).isNull();
    assertThat(session.errorMessage()).isEqualTo("the task was archived during the turn");
    assertThat(await(task.query(new GetRecord())).status()).isEqualTo(TaskStatus.ARCHIVED);
    awaitOrgSummary(s -> s.status() == TaskStatus.ARCHIVED);
  }

  @Test
  void aKilledTaskIsKilled() {
    assertThat(await(task.ask(new Kill("stop", null)))).isTrue();
    awaitOrgSummary(s -> s.status() == TaskStatus.KILLED);
    assertRejected(() -> await(task.ask(new Archive("x", null))), "task_killed");
    await().atMost(Duration.ofSeconds(10)).until(() -> auditKinds().contains("task.kill"));
  }

  @Test
  void renamingChangesTheTitleEverywhereAndABlankTitleIsRefused() {
    assertThat(await(task.ask(new Rename("  Dark mode  "))).title()).isEqualTo("Dark mode");
    awaitOrgSummary(s -> s.title().equals("Dark mode"));
    assertRejected(() -> await(task.ask(new Rename(" "))), "invalid_title");
    assertThat(await(task.query(new GetRecord())).title()).isEqualTo("Dark mode");
  }

  @Test
  void everyRenameIsSeenInItsAnswerTheDetailTheBroadcastAndTheOrganization() {
    // One command answers, broadcasts and summarizes the same detail, read once per change of the
    // tables: a detail kept past a change would show an older title in one of these places.
    List<Publication> seen = new CopyOnWriteArrayList<>();
    product.fixture().hub().subscribe("task", org + "/" + record.taskId(), seen::add);
    for (int i = 1; i <= 5; i++) {
      String title = "Title " + i;
      assertThat(await(task.ask(new Rename(title))).title()).isEqualTo(title);
      assertThat(await(task.query(new GetDetail())).title()).isEqualTo(title);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(seen)
                      .filteredOn(p -> RealtimeEvents.TASK_UPDATED.equals(p.event()))
                      .last()
                      .extracting(p -> ((WorkspaceTaskDetail) p.payload()).title())
                      .isEqualTo(title));
      awaitOrgSummary(s -> s.title().equals(title));
    }
    assertRejected(() -> await(task.ask(new Rename(" "))), "invalid_title");
    assertThat(await(task.query(new GetDetail())).title()).isEqualTo("Title 5");
  }

  @Test
  void theOwnerCanBeChanged() {
    WorkspaceTaskSummary s =
        await(
            task.ask(
                new ChangeOwner(
                    new TaskOwner("bob", "bob", "bob@example.com", "https://a/b.png"))));
    assertThat(s.primaryUserLogin()).isEqualTo("bob");
    awaitOrgSummary(
        x ->
            "bob".equals(x.primaryUserLogin())
                && "https://a/b.png".equals(x.primaryUserAvatarUrl()));
    assertRejected(
        () -> await(task.ask(new ChangeOwner(new TaskOwner(" ", null, null, null)))),
        "invalid_owner");
  }

  @Test
  void sessionsAreCreatedWithTheUsersDefaultModelRenamedAndReModelled() {
    await(
        product
            .user("alice")
            .ask(
                new UserProtocol.UpsertProfile(
                    "Alice", "a@x", null, null, "alice", null, List.of(org))));
    await(product.user("alice").ask(new UserProtocol.SetDefaultModel("claude-sonnet-4")));
    String s1 = await(task.ask(new CreateSession(null, "alice")));
    String s2 = await(task.ask(new CreateSession("gpt-5.4", null)));
    String s3 = await(task.ask(new CreateSession(null, null)));

    WorkspaceSessionDetail d1 = await(task.query(new GetSessionDetail(s1)));
    assertThat(d1.sessionName()).isEqualTo("Session 1");
    assertThat(d1.model()).isEqualTo("claude-sonnet-4");
    assertThat(d1.agent()).isEqualTo("Claude");
    assertThat(d1.status()).isEqualTo(WorkspaceSessionStatus.PENDING_PROVISION);
    assertThat(await(task.query(new GetSessionDetail(s2))).model()).isEqualTo("gpt-5.4");
    assertThat(await(task.query(new GetSessionDetail(s3))).model())
        .isEqualTo(WorkspaceModels.DEFAULT_MODEL_ID);

    assertThat(await(task.ask(new RenameSession(s1, "Design"))).sessionName()).isEqualTo("Design");
    assertThat(await(task.ask(new ChangeModel(s1, "gpt-5.4"))).model()).isEqualTo("gpt-5.4");
    assertRejected(() -> await(task.ask(new RenameSession(s1, ""))), "invalid_session_name");
    assertRejected(
        () -> await(task.ask(new RenameSession("session-nope", "x"))), "session_not_found");
    assertRejected(() -> await(task.ask(new ChangeModel(s1, " "))), "invalid_model");
    awaitOrgSummary(
        s ->
            s.sessionsSummary().size() == 3
                && s.sessionsSummary().get(0).sessionName().equals("Design"));

    // The creator's selected session is the one they created.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                s1.equals(
                    await(
                            product
                                .user("alice")
                                .query(new UserProtocol.GetTaskState(record.taskId())))
                        .activeSessionId()));
  }

  @Test
  void closingASessionKeepsTheLastOneAndMovesTheUsersSelection() {
    String s1 = await(task.ask(new CreateSession(null, "carol")));
    assertThat(await(task.ask(new CloseSession(s1, "carol")))).isFalse();
    String s2 = await(task.ask(new CreateSession(null, "carol")));
    assertThat(await(task.ask(new CloseSession(s2, "carol")))).isTrue();
    assertRejected(() -> await(task.query(new GetSessionDetail(s2))), "session_not_found");
    assertRejected(() -> await(task.ask(new RenameSession(s2, "x"))), "session_not_found");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              var state =
                  await(
                      product.user("carol").query(new UserProtocol.GetTaskState(record.taskId())));
              assertThat(state.activeSessionId()).isEqualTo(s1);
              assertThat(state.session(s2)).isNull();
            });
  }

  @Test
  void unreadDraftsAndSelectionAreIndependentBetweenTwoUsers() {
    String s1 = await(task.ask(new CreateSession(null, null)));
    String s2 = await(task.ask(new CreateSession(null, null)));
    WorkspaceLineAttachment line = new WorkspaceLineAttachment("l1", "README.md", 1, "# Widgets");
    await(task.ask(new SelectSession(s1, "alice")));
    await(task.ask(new UpdateDraft(s1, "alice's draft", List.of(line), "alice")));
    await(task.ask(new SetSessionUnread(s2, true, "alice")));
    await(task.ask(new SelectSession(s2, "bob")));
    await(task.ask(new UpdateDraft(s1, "bob's draft", null, "bob")));
    await(task.ask(new MarkUnread("bob"))); // the latest session, s2

    WorkspaceTaskDetail alice =
        await(TaskReads.detailForUser(product.runtime(), task.key(), "alice"));
    WorkspaceTaskDetail bob = await(TaskReads.detailForUser(product.runtime(), task.key(), "bob"));
    assertThat(alice.activeSessionId()).isEqualTo(s1);
    assertThat(bob.activeSessionId()).isEqualTo(s2);
    assertThat(alice.sessionsSummary())
        .extracting(WorkspaceSessionSummary::unread)
        .containsExactly(false, true);
    assertThat(bob.sessionsSummary())
        .extracting(WorkspaceSessionSummary::unread)
        .containsExactly(false, true);
    await(task.ask(new SetSessionUnread(s2, false, "alice")));
    assertThat(
            await(TaskReads.detailForUser(product.runtime(), task.key(), "alice"))
                .sessionsSummary())
        .extracting(WorkspaceSessionSummary::unread)
        .containsExactly(false, false);
    assertThat(
            await(TaskReads.detailForUser(product.runtime(), task.key(), "bob")).sessionsSummary())
        .extracting(WorkspaceSessionSummary::unread)
        .containsExactly(false, true);

    WorkspaceSessionDetail aliceS1 =
        await(TaskReads.sessionDetailForUser(product.runtime(), task.key(), s1, "alice"));
    WorkspaceSessionDetail bobS1 =
        await(TaskReads.sessionDetailForUser(product.runtime(), task.key(), s1, "bob"));
    assertThat(aliceS1.draft().text()).isEqualTo("alice's draft");
    assertThat(aliceS1.draft().attachments()).containsExactly(line);
    assertThat(bobS1.draft().text()).isEqualTo("bob's draft");
    // The shared view carries no one's per-user state.
    assertThat(await(task.query(new GetSessionDetail(s1))).draft().text()).isEmpty();

    assertRejected(
        () -> await(task.ask(new SelectSession("session-nope", "alice"))), "session_not_found");
    assertRejected(() -> await(task.ask(new SelectSession(s1, " "))), "invalid_user");
  }

  @Test
  void theTaskStatusIsDerivedFromItsSessions() {
    String s1 = await(task.ask(new CreateSession(null, null)));
    assertThat(await(task.ask(new SyncSessionStatus(s1, "running", null))).status())
        .isEqualTo(WorkspaceSessionStatus.RUNNING);
    awaitOrgSummary(s -> s.status() == TaskStatus.RUNNING);
    assertThat(await(task.query(new GetRecord())).status()).isEqualTo(TaskStatus.RUNNING);
    await(task.ask(new SyncSessionStatus(s1, "error", "agent crashed")));
    awaitOrgSummary(s -> s.status() == TaskStatus.ERROR);
    assertThat(await(task.query(new GetSessionDetail(s1))).errorMessage())
        .isEqualTo("agent crashed");
    await(task.ask(new SyncSessionStatus(s1, "idle", null)));
    awaitOrgSummary(s -> s.status() == TaskStatus.IDLE);
    assertRejected(
        () -> await(task.ask(new SyncSessionStatus(s1, "dancing", null))),
        "invalid_session_status");
  }

  @Test
  void subscribersGetFullTaskAndSessionDetails() {
    List<Publication> seen = new CopyOnWriteArrayList<>();
    String topic = org + "/" + record.taskId();
    product.fixture().hub().subscribe("task", topic, seen::add);
    String s1 = await(task.ask(new CreateSession(null, null)));
    product.fixture().hub().subscribe("session", topic + "/" + s1, seen::add);
    await(task.ask(new RenameSession(s1, "Named")));
    assertThat(seen)
        .anySatisfy(p -> assertThat(p.payload()).isInstanceOf(WorkspaceTaskDetail.class));
    assertThat(seen)
        .anySatisfy(
            p -> {
              assertThat(p.event()).isEqualTo(RealtimeEvents.SESSION_UPDATED);
              assertThat(p.payload()).isInstanceOf(WorkspaceSessionDetail.class);
              assertThat(((WorkspaceSessionDetail) p.payload()).sessionName()).isEqualTo("Named");
            });
    WorkspaceTaskDetail last =
        (WorkspaceTaskDetail)
            seen.stream()
                .filter(p -> RealtimeEvents.TASK_UPDATED.equals(p.event()))
                .reduce((a, b) -> b)
                .orElseThrow()
                .payload();
    assertThat(last.sessionsSummary())
        .singleElement()
        .satisfies(s -> assertThat(s.sessionName()).isEqualTo("Named"));
  }

  @Test
  void aTaskIsInitializedOnceAndANeverInitializedOneRefusesWork() {
    TaskRecord before = await(task.query(new GetRecord()));
    // A second Initialize (a create decided again) answers the task as it is and changes nothing.
    TaskRecord again =
        await(
            task.ask(
                new TaskProtocol.Initialize(
                    "file:///x", "x", "b", "t", "task", null, null, null, null)));
    assertThat(again).isEqualTo(before);
    assertThat(again.branchName()).isEqualTo(record.branchName()).isNotEqualTo("b");
    assertThat(await(task.query(new GetRecord()))).isEqualTo(before);
    DurableRef<TaskProtocol.Command<?>> stray =
        product
            .runtime()
            .getOrCreate(TaskProtocol.TYPE, TaskProtocol.key(org, record.repoId(), "stray"));
    assertRejected(() -> await(stray.ask(new Rename("x"))), "task_not_found");
    assertRejected(() -> await(stray.query(new GetRecord())), "task_not_found");
  }

  @Test
  void aTaskAndItsSessionsSurviveARestart() {
    String s1 = await(task.ask(new CreateSession("gpt-5.4", null)));
    await(task.ask(new Rename("Persisted")));
    await(task.ask(new Archive("done", null)));
    product.restart();
    DurableRef<TaskProtocol.Command<?>> again = product.task(record);
    TaskRecord r = await(again.query(new GetRecord()));
    assertThat(r.title()).isEqualTo("Persisted");
    assertThat(r.status()).isEqualTo(TaskStatus.ARCHIVED);
    assertThat(await(again.query(new GetSessionDetail(s1))).model()).isEqualTo("gpt-5.4");
    assertRejected(() -> await(again.ask(new Rename("x"))), "task_archived");
  }
}
