package dev.foundry.backend.organization;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.AddRepository;
import dev.foundry.backend.protocol.OrganizationProtocol.ApplyTaskSummaryUpdate;
import dev.foundry.backend.protocol.OrganizationProtocol.CreateTask;
import dev.foundry.backend.protocol.OrganizationProtocol.GetOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.GetOrganizationSummary;
import dev.foundry.backend.protocol.OrganizationProtocol.GetTaskIndexEntry;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexSession;
import dev.foundry.backend.protocol.OrganizationProtocol.InitializeOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.ListRepos;
import dev.foundry.backend.protocol.OrganizationProtocol.MaterializeTask;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummariesForBranches;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummaryForBranch;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveMember;
import dev.foundry.backend.protocol.OrganizationProtocol.TaskIndexEntry;
import dev.foundry.backend.protocol.OrganizationProtocol.UpdateProfile;
import dev.foundry.backend.protocol.OrganizationProtocol.UpsertMember;
import dev.foundry.backend.protocol.RepositoryRemote;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.runtime.ActorNotFoundException;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.contracts.AuditLogEvent;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
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

class OrganizationActorTest {
  @TempDir static Path dataDir;
  private static ProductFixture product;
  private String org;

  @BeforeAll
  static void start() {
    product = new ProductFixture(dataDir);
  }

  @AfterAll
  static void stop() {
    product.close();
  }

  @BeforeEach
  void newOrganization() {
    org = product.newPersonalOrganization("owner-1");
  }

  private static WorkspacePullRequestSummary pr(int number, String title, String branch, long at) {
    return new WorkspacePullRequestSummary(
        number,
        "ready",
        title,
        "OPEN",
        "https://example.test/pr/" + number,
        branch,
        "main",
        "acme/widgets",
        "bob",
        false,
        at);
  }

  @Test
  void aPersonalOrganizationHasItsProfileAndItsOwner() {
    FoundryOrganization o = await(product.org(org).query(new GetOrganization()));
    assertThat(o.kind()).isEqualTo("personal");
    assertThat(o.settings().primaryDomain()).isEqualTo("personal");
    assertThat(o.billing().planId()).isEqualTo("free");
    assertThat(o.members())
        .extracting(FoundryOrganizationMember::id, FoundryOrganizationMember::role)
        .containsExactly(tuple("owner-1", "owner"));
  }

  @Test
  void aLoginThatDoesNotDeriveTheOrganizationIdIsRejected() {
    assertThatThrownBy(
            () ->
                await(
                    product
                        .org("personal-someone-else")
                        .ask(new InitializeOrganization("personal", "bob", "Bob", null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "organization_id_mismatch");
    assertThat(await(product.org("personal-someone-else").query(new GetOrganization()))).isNull();
  }

  @Test
  void anUnknownOrganizationIsATypedError() {
    assertThatThrownBy(
            () ->
                await(
                    product
                        .runtime()
                        .get(OrganizationProtocol.TYPE, OrganizationProtocol.key("never-made"))
                        .ask(new AddRepository("acme/widgets", null))))
        .isInstanceOf(ActorNotFoundException.class);
    assertThatThrownBy(
            () -> await(product.org("made-but-empty").ask(new AddRepository("acme/widgets", null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "organization_not_found");
  }

  @Test
  void theProfileChangesItsNonBlankFieldsAndRefusesABadSlug() {
    FoundryOrganization o = await(product.org(org).ask(new UpdateProfile("Acme Inc", " ", null)));
    assertThat(o.settings().displayName()).isEqualTo("Acme Inc");
    assertThat(o.settings().slug()).isNotBlank();
    assertThatThrownBy(
            () -> await(product.org(org).ask(new UpdateProfile("X", "Not A Slug", null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_slug");
    assertThat(await(product.org(org).query(new GetOrganization())).settings().displayName())
        .isEqualTo("Acme Inc");
  }

  @Test
  void membersAreAddedAndRemovedAndUnknownOnesRejected() {
    FoundryOrganizationMember bob =
        new FoundryOrganizationMember("bob", "Bob", "bob@example.com", "member", "invited");
    assertThat(await(product.org(org).ask(new UpsertMember(bob))).members()).hasSize(2);
    assertThatThrownBy(
            () ->
                await(
                    product
                        .org(org)
                        .ask(
                            new UpsertMember(
                                new FoundryOrganizationMember("x", "X", "", "king", "active")))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_member");
    assertThat(await(product.org(org).ask(new RemoveMember("bob"))).members()).hasSize(1);
    assertThatThrownBy(() -> await(product.org(org).ask(new RemoveMember("bob"))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "member_not_found");
  }

  @Test
  void repositoriesAreAddedByRemoteUrlOnceAndListedInTheCatalog() {
    RepoRecord repo = product.addRepository(org, "file:///srv/git/acme/widgets.git");
    assertThat(repo.repoId())
        .isEqualTo(RepositoryRemote.parse("file:///srv/git/acme/widgets.git").repoId());
    assertThat(repo.defaultBranch()).isEqualTo("main");
    assertThat(product.addRepository(org, "file:///srv/git/acme/widgets.git/")).isEqualTo(repo);
    product.addRepository(org, "rivet-dev/sandbox-agent");
    assertThat(await(product.org(org).query(new ListRepos()))).hasSize(2);
    assertThat(await(product.org(org).query(new GetOrganization())).repoCatalog())
        .containsExactly("acme/widgets", "rivet-dev/sandbox-agent");

    assertThatThrownBy(() -> product.addRepository(org, "not a url"))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_remote_url");
    assertThat(await(product.org(org).query(new ListRepos()))).hasSize(2);
  }

  @Test
  void aCreatedTaskPushesItsSummaryUpAndIsAudited() {
    List<Publication> published = new CopyOnWriteArrayList<>();
    product.fixture().hub().subscribe("organization", org, published::add);
    RepoRecord repo = product.addRepository(org, "file:///srv/git/acme/widgets.git");
    TaskRecord task = product.createTask(org, repo.repoId(), "Fix the flaky login test", null);
    assertThat(task.title()).isEqualTo("fix: Fix the flaky login test");
    assertThat(task.branchName()).matches("[a-z]+-[a-z0-9]{4}");
    assertThat(task.repoRemote()).isEqualTo("file:///srv/git/acme/widgets.git");

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              WorkspaceTaskSummary s = product.summary(org, task.taskId());
              assertThat(s.status()).isEqualTo(TaskStatus.IDLE); // provisioned, no session running
              assertThat(s.repoName()).isEqualTo("acme/widgets");
              assertThat(product.audit(org, task.taskId()))
                  .extracting(AuditLogEvent::kind)
                  .contains("task.created", "task.initialized");
            });
    TaskIndexEntry entry = await(product.org(org).query(new GetTaskIndexEntry(task.taskId())));
    assertThat(entry.actorCreated()).isTrue();
    assertThat(entry.branchName()).isEqualTo(task.branchName());
    OrganizationSummarySnapshot summary =
        await(product.org(org).query(new GetOrganizationSummary()));
    assertThat(summary.repos())
        .singleElement()
        .satisfies(r -> assertThat(r.taskCount()).isEqualTo(1));
    // Adding the repository replaced the whole organization; the task's changes since are that
    // task's summary alone.
    assertThat(published).isNotEmpty();
    assertThat(published.get(0).event()).isEqualTo("organizationUpdated");
    assertThat(published.get(0).payload()).isInstanceOf(OrganizationSummarySnapshot.class);
    Publication last = published.get(published.size() - 1);
    assertThat(last.event()).isEqualTo("taskSummaryUpdated");
    assertThat(last.payload())
        .isInstanceOfSatisfying(
            WorkspaceTaskSummary.class, s -> assertThat(s.id()).isEqualTo(task.taskId()));
  }

  @Test
  void anOlderSummaryArrivingLateDoesNotReplaceANewerOne() {
    RepoRecord repo = product.addRepository(org, "file:///srv/git/acme/late.git");
    TaskRecord task = product.createTask(org, repo.repoId(), "Order matters", null);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> product.summary(org, task.taskId()).status() == TaskStatus.IDLE);
    WorkspaceTaskSummary current = product.summary(org, task.taskId());
    long t = current.updatedAtMs();
    assertThat(
            await(
                product
                    .org(org)
                    .ask(new ApplyTaskSummaryUpdate(titled(current, "newer", t + 2000)))))
        .isEqualTo(true);
    // A retried delivery of an older summary comes last: it is ignored, not applied.
    assertThat(
            await(
                product
                    .org(org)
                    .ask(new ApplyTaskSummaryUpdate(titled(current, "older", t + 1000)))))
        .isEqualTo(false);
    assertThat(product.summary(org, task.taskId()).title()).isEqualTo("newer");
  }

  @Test
  void summariesSentTogetherLeaveTheNewestOfEachTaskAndAStrayIsRefused() {
    RepoRecord repo = product.addRepository(org, "file:///srv/git/acme/burst.git");
    TaskRecord a = product.createTask(org, repo.repoId(), "Burst A", null);
    TaskRecord b = product.createTask(org, repo.repoId(), "Burst B", null);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                product.summary(org, a.taskId()).status() == TaskStatus.IDLE
                    && product.summary(org, b.taskId()).status() == TaskStatus.IDLE);
    WorkspaceTaskSummary sa = product.summary(org, a.taskId());
    WorkspaceTaskSummary sb = product.summary(org, b.taskId());
    long t = Math.max(sa.updatedAtMs(), sb.updatedAtMs());
    WorkspaceTaskSummary stray =
        new WorkspaceTaskSummary(
            "no-such-task",
            sa.repoId(),
            "stray",
            sa.status(),
            sa.repoName(),
            t,
            "stray-branch",
            null,
            null,
            List.of(),
            null,
            null);
    // Sent without waiting, so those that queue up meet in one batch: out of order for A.
    List<java.util.concurrent.CompletableFuture<Boolean>> sent =
        List.of(
                titled(sa, "a1", t + 1000),
                titled(sa, "a3", t + 3000),
                titled(sb, "b1", t + 1000),
                titled(sa, "a2", t + 2000),
                titled(sb, "b2", t + 2000))
            .stream()
            .map(s -> product.org(org).ask(new ApplyTaskSummaryUpdate(s)).toCompletableFuture())
            .toList();
    var refused = product.org(org).ask(new ApplyTaskSummaryUpdate(stray)).toCompletableFuture();
    sent.forEach(f -> await(f));
    assertThatThrownBy(() -> await(refused))
        .isInstanceOf(CommandRejectedException.class)
        .hasMessageContaining("no-such-task");
    assertThat(product.summary(org, a.taskId()).title()).isEqualTo("a3");
    assertThat(product.summary(org, b.taskId()).title()).isEqualTo("b2");
  }

  private static WorkspaceTaskSummary titled(WorkspaceTaskSummary s, String title, long at) {
    return new WorkspaceTaskSummary(
        s.id(),
        s.repoId(),
        title,
        s.status(),
        s.repoName(),
        at,
        s.branch(),
        s.pullRequest(),
        s.activeSessionId(),
        s.sessionsSummary(),
        s.primaryUserLogin(),
        s.primaryUserAvatarUrl());
  }

  @Test
  void badTaskInputIsRejectedAndCreatesNothing() {
    RepoRecord repo = product.addRepository(org, "acme/widgets");
    assertThatThrownBy(() -> product.createTask(org, "no-such-repo", "do it", null))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "repository_not_found");
    assertThatThrownBy(() -> product.createTask(org, repo.repoId(), "  ", null))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_task");
    assertThatThrownBy(
            () ->
                await(
                    product
                        .org(org)
                        .ask(
                            CreateTask.fromPrompt(
                                repo.repoId(), "x", null, "bad..name", null, null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_branch_name");
    assertThat(product.tasks(org)).isEmpty();
  }

  @Test
  void aBranchBelongsToOneLiveTaskOfItsRepository() {
    RepoRecord repo = product.addRepository(org, "acme/widgets");
    TaskRecord first =
        await(
            product
                .org(org)
                .ask(
                    CreateTask.fromPrompt(
                        repo.repoId(), "x", "feat: one", "feature/one", null, null)));
    assertThat(first.branchName()).isEqualTo("feature/one");
    assertThat(first.title()).isEqualTo("feat: one");
    assertThatThrownBy(
            () ->
                await(
                    product
                        .org(org)
                        .ask(
                            CreateTask.fromPrompt(
                                repo.repoId(), "y", null, "feature/one", null, null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "branch_in_use");
    assertThatThrownBy(
            () ->
                await(
                    product
                        .org(org)
                        .ask(CreateTask.onBranch(repo.repoId(), "y", "feature/one", null, null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "branch_in_use");

    await(product.task(first).ask(new TaskProtocol.Archive("done", null)));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> product.summary(org, first.taskId()).status() == TaskStatus.ARCHIVED);
    TaskRecord adopted =
        await(
            product
                .org(org)
                .ask(CreateTask.onBranch(repo.repoId(), "again", "feature/one", null, null)));
    assertThat(adopted.branchName()).isEqualTo("feature/one");
  }

  @Test
  void aPullRequestOnANewBranchMakesAVirtualTaskWithoutAnActor() {
    RepoRecord repo = product.addRepository(org, "acme/widgets");
    await(
        product
            .org(org)
            .ask(
                new RefreshTaskSummaryForBranch(
                    repo.repoId(),
                    "pr-branch",
                    pr(7, "Add widgets", "pr-branch", 1000),
                    "acme/widgets")));
    await(
        product
            .org(org)
            .ask(
                new RefreshTaskSummaryForBranch(
                    repo.repoId(),
                    "pr-branch",
                    pr(7, "Add more widgets", "pr-branch", 2000),
                    "acme/widgets")));

    List<WorkspaceTaskSummary> tasks = product.tasks(org);
    assertThat(tasks)
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.title()).isEqualTo("Add widgets");
              assertThat(s.status()).isEqualTo(TaskStatus.INIT_COMPLETE);
              assertThat(s.pullRequest().title()).isEqualTo("Add more widgets");
              assertThat(s.updatedAtMs()).isEqualTo(2000);
            });
    String taskId = tasks.get(0).id();
    assertThat(await(product.org(org).query(new GetTaskIndexEntry(taskId))).actorCreated())
        .isFalse();
    assertThatThrownBy(
            () ->
                await(product.task(org, repo.repoId(), taskId).query(new TaskProtocol.GetRecord())))
        .isInstanceOf(ActorNotFoundException.class);

    // A pull request that went away on a branch without a task changes nothing.
    assertThat(
            await(
                product
                    .org(org)
                    .ask(new RefreshTaskSummaryForBranch(repo.repoId(), "other", null, null))))
        .isFalse();
    assertThat(product.tasks(org)).hasSize(1);
  }

  @Test
  void aBatchRefreshWritesManyBranchesAtOnceAndOneBranchGetsOneVirtualTask() {
    RepoRecord repo = product.addRepository(org, "acme/widgets");
    List<RefreshTaskSummaryForBranch> batch = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      batch.add(
          new RefreshTaskSummaryForBranch(
              repo.repoId(), "b" + i, pr(i, "PR " + i, "b" + i, 10 + i), null));
    }
    batch.add(
        new RefreshTaskSummaryForBranch(repo.repoId(), "b0", pr(0, "PR 0 again", "b0", 100), null));
    assertThat(await(product.org(org).ask(new RefreshTaskSummariesForBranches(batch)))).isTrue();
    List<WorkspaceTaskSummary> tasks = product.tasks(org);
    assertThat(tasks).hasSize(50);
    assertThat(tasks.get(0).branch()).isEqualTo("b0");
    assertThat(tasks.get(0).pullRequest().title()).isEqualTo("PR 0 again");

    List<RefreshTaskSummaryForBranch> tooMany = java.util.Collections.nCopies(501, batch.get(0));
    assertThatThrownBy(
            () -> await(product.org(org).ask(new RefreshTaskSummariesForBranches(tooMany))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_branch");
    assertThat(product.tasks(org)).hasSize(50);
  }

  @Test
  void aVirtualTaskBecomesRealOnlyWhenAUserOpensIt() {
    RepoRecord repo = product.addRepository(org, "acme/widgets");
    await(
        product
            .org(org)
            .ask(
                new RefreshTaskSummaryForBranch(
                    repo.repoId(), "pr-branch", pr(8, "Fix nav", "pr-branch", 1000), null)));
    String taskId = product.tasks(org).get(0).id();

    TaskRecord record = await(product.org(org).ask(new MaterializeTask(taskId)));
    assertThat(record.taskId()).isEqualTo(taskId);
    assertThat(record.branchName()).isEqualTo("pr-branch");
    assertThat(record.title()).isEqualTo("Fix nav");
    assertThat(record.pullRequest().number()).isEqualTo(8);
    assertThat(await(product.org(org).query(new GetTaskIndexEntry(taskId))).actorCreated())
        .isTrue();
    assertThat(await(product.org(org).ask(new MaterializeTask(taskId))).taskId()).isEqualTo(taskId);

    // Now that it has an actor, the bulk path tells it about its pull request.
    await(
        product
            .org(org)
            .ask(
                new RefreshTaskSummaryForBranch(
                    repo.repoId(), "pr-branch", pr(8, "Fix nav (v2)", "pr-branch", 3000), null)));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        await(product.task(record).query(new TaskProtocol.GetRecord()))
                            .pullRequest()
                            .title())
                    .isEqualTo("Fix nav (v2)"));
    assertThatThrownBy(() -> await(product.org(org).ask(new MaterializeTask("no-such-task"))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "task_not_found");
  }

  @Test
  void eachRoleRefusesTheOthersCommands() {
    assertThatThrownBy(() -> await(product.app().ask(new AddRepository("acme/widgets", null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "organization_only");
    assertThatThrownBy(() -> await(product.org(org).ask(new IndexSession("s", "u"))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "app_only");
  }

  @Test
  void theCatalogTasksAndIndexSurviveARestart() {
    RepoRecord repo = product.addRepository(org, "acme/widgets");
    TaskRecord task = product.createTask(org, repo.repoId(), "Add a feature", null);
    await(
        product
            .org(org)
            .ask(new RefreshTaskSummaryForBranch(repo.repoId(), "pr", pr(1, "PR", "pr", 5), null)));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> product.summary(org, task.taskId()).status() == TaskStatus.IDLE);
    product.restart();
    assertThat(await(product.org(org).query(new ListRepos()))).containsExactly(repo);
    assertThat(product.tasks(org)).hasSize(2);
    assertThat(product.summary(org, task.taskId()).status()).isEqualTo(TaskStatus.IDLE);
    assertThat(await(product.task(task).query(new TaskProtocol.GetRecord())).branchName())
        .isEqualTo(task.branchName());
  }
}
