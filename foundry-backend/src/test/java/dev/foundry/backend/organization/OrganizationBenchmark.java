package dev.foundry.backend.organization;

import static dev.foundry.backend.runtime.RuntimeFixture.await;

import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.CreateTask;
import dev.foundry.backend.protocol.OrganizationProtocol.GetOrganizationSummary;
import dev.foundry.backend.protocol.OrganizationProtocol.ListTasks;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummariesForBranches;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummaryForBranch;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * One organization with 10,000 virtual tasks (pull requests synced in bulk: no task actor) and
 * 1,000 real tasks (each creates a task actor), on a real journal and real actor files. Reports
 * wall time, heap after GC and the size of the organization's summary. Not a test: run it with
 * {@code exec:exec -Dexec.classpathScope=test} (see scripts/bench). Arguments: virtual real.
 */
public final class OrganizationBenchmark {
  private static final int IN_FLIGHT = 1000;
  private static final int BATCH = 100;

  public static void main(String[] args) throws Exception {
    int virtual = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int real = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    Path dir = Files.createTempDirectory("foundry-org-bench");
    long heapBefore = usedHeapAfterGc();
    try (ProductFixture product = new ProductFixture(dir)) {
      String org = product.newPersonalOrganization("bench-owner");
      RepoRecord repo = product.addRepository(org, "file:///srv/git/bench/widgets.git");
      DurableRef<OrganizationProtocol.Command<?>> ref = product.org(org);
      Duration patient = Duration.ofMinutes(10);
      // At most this many commands in flight to the one organization: a burst beyond the
      // runtime's persistence stash is dropped by Pekko (runtime.conf).
      Semaphore window = new Semaphore(IN_FLIGHT);

      // A repository sync sends pull requests in batches (one command, one journal write each).
      long t0 = System.nanoTime();
      List<CompletableFuture<Boolean>> pending = new ArrayList<>();
      List<RefreshTaskSummaryForBranch> batch = new ArrayList<>();
      for (int i = 0; i < virtual; i++) {
        WorkspacePullRequestSummary pr =
            new WorkspacePullRequestSummary(
                i,
                "ready",
                "PR " + i,
                "OPEN",
                "https://example.test/pr/" + i,
                "pr-" + i,
                "main",
                "bench/widgets",
                "bot",
                false,
                1_000L + i);
        batch.add(new RefreshTaskSummaryForBranch(repo.repoId(), "pr-" + i, pr, null));
        if (batch.size() == BATCH || i == virtual - 1) {
          window.acquire();
          CompletableFuture<Boolean> sent =
              ref.ask(new RefreshTaskSummariesForBranches(List.copyOf(batch)), patient)
                  .toCompletableFuture();
          sent.whenComplete((ok, failure) -> window.release());
          pending.add(sent);
          batch.clear();
        }
      }
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
      double virtualSeconds = (System.nanoTime() - t0) / 1e9;
      System.err.printf(Locale.ROOT, "%d virtual tasks in %.1f s%n", virtual, virtualSeconds);

      long t1 = System.nanoTime();
      List<CompletableFuture<TaskRecord>> created = new ArrayList<>();
      for (int i = 0; i < real; i++) {
        window.acquire();
        CompletableFuture<TaskRecord> task =
            ref.ask(
                    CreateTask.fromPrompt(
                        repo.repoId(), "Task number " + i, null, null, null, null),
                    patient)
                .toCompletableFuture();
        task.whenComplete((ok, failure) -> window.release());
        created.add(task);
      }
      CompletableFuture.allOf(created.toArray(CompletableFuture[]::new)).join();
      double realSeconds = (System.nanoTime() - t1) / 1e9;
      System.err.printf(Locale.ROOT, "%d real tasks in %.1f s%n", real, realSeconds);

      // Their summaries (pushed up asynchronously) and provisioning settle.
      long t2 = System.nanoTime();
      while (await(ref.query(new ListTasks(null))).stream()
              .filter(s -> s.status() == dev.foundry.shared.contracts.TaskStatus.IDLE)
              .count()
          < real) {
        Thread.sleep(200);
      }
      double settleSeconds = (System.nanoTime() - t2) / 1e9;

      long q0 = System.nanoTime();
      int listed = await(ref.query(new ListTasks(null))).size();
      double listMillis = (System.nanoTime() - q0) / 1e6;
      long q1 = System.nanoTime();
      int summarized = await(ref.query(new GetOrganizationSummary())).taskSummaries().size();
      double summaryMillis = (System.nanoTime() - q1) / 1e6;
      int active = await(product.runtime().activeCount());
      long heapAfter = usedHeapAfterGc();

      System.out.printf(
          Locale.ROOT,
          "{\"virtualTasks\":%d,\"virtualSeconds\":%.2f,\"virtualPerSecond\":%.0f,"
              + "\"realTasks\":%d,\"realSeconds\":%.2f,\"realPerSecond\":%.1f,"
              + "\"summariesSettledSeconds\":%.2f,\"listedTasks\":%d,\"listTasksMillis\":%.1f,"
              + "\"summaryTasks\":%d,\"organizationSummaryMillis\":%.1f,\"activeActors\":%d,"
              + "\"heapBeforeMb\":%.1f,\"heapAfterGcMb\":%.1f}%n",
          virtual,
          virtualSeconds,
          virtual / virtualSeconds,
          real,
          realSeconds,
          real / realSeconds,
          settleSeconds,
          listed,
          listMillis,
          summarized,
          summaryMillis,
          active,
          heapBefore / 1048576.0,
          heapAfter / 1048576.0);
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}
