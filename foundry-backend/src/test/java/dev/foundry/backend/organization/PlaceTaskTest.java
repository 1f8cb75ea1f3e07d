package dev.foundry.backend.organization;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.protocol.OrganizationProtocol.CreateTask;
import dev.foundry.backend.protocol.OrganizationProtocol.PlaceTask;
import dev.foundry.backend.protocol.OrganizationProtocol.TaskPlacement;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PlaceTask}: the organization decides, indexes and lists a new task in one write without
 * waiting for it, and its outbox initializes the task even when the caller never does.
 */
class PlaceTaskTest {
  private static final TaskOwner OWNER =
      new TaskOwner("owner-1", "owner", "owner@example.com", null);

  @TempDir static Path dataDir;
  private static ProductFixture product;
  private String org;
  private RepoRecord repo;

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
    repo = product.addRepository(org, "acme/widgets");
  }

  private TaskPlacement place(String prompt, String branch, String requestKey) {
    return await(
        product
            .org(org)
            .ask(
                new PlaceTask(
                    CreateTask.fromPrompt(repo.repoId(), prompt, null, branch, OWNER, null),
                    requestKey)));
  }

  @Test
  void theTaskIsListedAtOnceAndTheOutboxInitializesItWithoutTheCaller() {
    TaskPlacement placed = place("fix the login bug", null, null);

    assertThat(placed.initialize()).isNotNull();
    assertThat(placed.initialize().title()).isEqualTo("fix: fix the login bug");
    WorkspaceTaskSummary listed = product.summary(org, placed.taskId());
    assertThat(listed).isNotNull();
    assertThat(listed.branch()).isEqualTo(placed.initialize().branchName());
    assertThat(listed.primaryUserLogin()).isEqualTo("owner");

    // Nobody sends the Initialize: the organization's outbox does.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              TaskRecord record =
                  await(
                      product
                          .task(org, placed.repoId(), placed.taskId())
                          .query(new TaskProtocol.GetRecord()));
              assertThat(record.branchName()).isEqualTo(placed.initialize().branchName());
              assertThat(record.title()).isEqualTo("fix: fix the login bug");
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                product.audit(org, placed.taskId()).stream()
                    .anyMatch(e -> e.kind().equals("task.created")));
  }

  @Test
  void aNewTasksFirstSummaryIsTheOneListedAndItsPushWritesNothing() {
    TaskPlacement placed = place("list me once", null, null);
    DurableRef<TaskProtocol.Command<?>> task = product.task(org, placed.repoId(), placed.taskId());
    await(task.ask(placed.initialize()));
    long orgWrites = await(product.org(org).inspect(0)).seqNr();
    // This backend runs no sandboxes: the task is complete (idle) as of its creation, as listed.
    WorkspaceTaskSummary own = await(task.query(new TaskProtocol.GetSummary()));
    assertThat(own.status()).isEqualTo(TaskStatus.IDLE);
    assertThat(await(task.query(new TaskProtocol.GetRecord())).status())
        .isEqualTo(TaskStatus.INIT_COMPLETE);
    assertThat(product.summary(org, placed.taskId())).isEqualTo(own);
    // Once the task's outbox has delivered its summary push, the organization wrote nothing more.
    await().atMost(Duration.ofSeconds(10)).until(() -> await(task.inspect(0)).outbox().isEmpty());
    assertThat(await(product.org(org).inspect(0)).seqNr()).isEqualTo(orgWrites);
    assertThat(product.summary(org, placed.taskId())).isEqualTo(own);
  }

  @Test
  void theCallersInitializeAndTheOutboxesMakeOneTask() {
    TaskPlacement placed = place("one task", null, null);
    TaskRecord record =
        await(
            product
                .runtime()
                .getOrCreate(
                    TaskProtocol.TYPE, TaskProtocol.key(org, placed.repoId(), placed.taskId()))
                .ask(placed.initialize()));
    assertThat(record.taskId()).isEqualTo(placed.taskId());
    assertThat(product.tasks(org)).hasSize(1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                product.audit(org, placed.taskId()).stream()
                        .filter(e -> e.kind().equals("task.created"))
                        .count()
                    == 1);
  }

  @Test
  void aRetryOfTheSameRequestPlacesNothingNew() {
    TaskPlacement first = place("same request", null, "user-1\nkey-1");
    TaskPlacement again = place("same request", null, "user-1\nkey-1");

    assertThat(again.taskId()).isEqualTo(first.taskId());
    assertThat(again.initialize().branchName()).isEqualTo(first.initialize().branchName());
    assertThat(again.initialize().title()).isEqualTo(first.initialize().title());
    assertThat(product.tasks(org)).hasSize(1);
    assertThat(place("same request", null, "user-1\nkey-2").taskId()).isNotEqualTo(first.taskId());
  }

  @Test
  void aBranchIsTakenFromThePlacementOn() {
    place("first", "feature/one", null);
    assertThatThrownBy(() -> place("second", "feature/one", null))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "branch_in_use");
  }

  @Test
  void badInputIsRefusedAndPlacesNothing() {
    assertThatThrownBy(
            () ->
                await(
                    product
                        .org(org)
                        .ask(
                            new PlaceTask(
                                CreateTask.fromPrompt("no-such-repo", "x", null, null, OWNER, null),
                                null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "repository_not_found");
    assertThatThrownBy(() -> place("  ", null, null))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_task");
    assertThatThrownBy(() -> place("x", "bad..name", null))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_branch_name");
    assertThatThrownBy(() -> place("x", null, " "))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_task");
    assertThatThrownBy(() -> await(product.org(org).ask(new PlaceTask(null, null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_task");
    assertThat(product.tasks(org)).isEmpty();
  }
}
