package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.organization.ProductFixture;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.CreateTask;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An organization's {@code CreateTask} decided again under the same command id (the runtime's
 * re-decision after a crash, an outbox redelivery) makes one task: the task id follows from the
 * command id, and the task's {@code Initialize} answers an existing task as it is. In this package
 * for {@link DurableRef#tell(DurableCommand, String)}, the runtime's submit under a given id.
 */
class CreateTaskCommandIdTest {
  private static final TaskOwner OWNER = new TaskOwner("alice", "alice", "alice@example.com", null);

  @TempDir static Path dataDir;
  private static ProductFixture product;

  @BeforeAll
  static void start() {
    product = new ProductFixture(dataDir);
  }

  @AfterAll
  static void stop() {
    product.close();
  }

  @Test
  void aCreateTaskDecidedAgainUnderItsCommandIdMakesOneTaskAlsoAfterARestart() {
    String org = product.newPersonalOrganization("alice");
    RepoRecord repo = product.addRepository(org, "file:///srv/git/acme/widgets.git");
    CreateTask create =
        CreateTask.fromPrompt(repo.repoId(), "exactly once", null, null, OWNER, null);
    String commandId = "create-" + UUID.randomUUID();
    String taskId = CreateTask.taskId(org, commandId);

    await(product.org(org).tell(create, commandId));
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> product.summary(org, taskId) != null);
    WorkspaceTaskSummary first = product.summary(org, taskId);

    await(product.org(org).tell(create, commandId));
    fence(org, repo);
    assertThat(product.tasks(org))
        .singleElement()
        .satisfies(s -> assertThat(s.id()).isEqualTo(taskId));

    product.restart();
    await(product.org(org).tell(create, commandId));
    fence(org, repo);
    assertThat(product.tasks(org))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.id()).isEqualTo(taskId);
              assertThat(s.branch()).isEqualTo(first.branch());
            });
  }

  @Test
  void aCreateDecidedAgainAfterItsTaskWasInitializedIndexesThatTaskAsItIs() {
    String org = product.newPersonalOrganization("alice");
    RepoRecord repo = product.addRepository(org, "file:///srv/git/acme/widgets.git");
    String commandId = "create-" + UUID.randomUUID();
    String taskId = CreateTask.taskId(org, commandId);
    // The first decision initialized the task on the branch it picked, then the process died
    // before the organization indexed it.
    await(
        product
            .runtime()
            .getOrCreate(TaskProtocol.TYPE, TaskProtocol.key(org, repo.repoId(), taskId))
            .ask(
                new TaskProtocol.Initialize(
                    repo.remoteUrl(),
                    repo.label(),
                    "picked-first",
                    "Crash window",
                    "crash window",
                    null,
                    OWNER,
                    null,
                    null)));

    // Decided again (another branch would be picked now): the same task, on its own branch.
    await(
        product
            .org(org)
            .tell(
                CreateTask.fromPrompt(
                    repo.repoId(), "crash window", null, "picked-again", OWNER, null),
                commandId));
    fence(org, repo);

    assertThat(product.tasks(org))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.id()).isEqualTo(taskId);
              assertThat(s.branch()).isEqualTo("picked-first");
            });
  }

  /** A command queued behind the ones told before: once it answers, they are decided. */
  private static void fence(String org, RepoRecord repo) {
    await(product.org(org).ask(new OrganizationProtocol.AddRepository(repo.remoteUrl(), null)));
  }
}
