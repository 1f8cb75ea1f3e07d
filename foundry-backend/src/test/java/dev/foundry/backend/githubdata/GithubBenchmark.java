package dev.foundry.backend.githubdata;

import static dev.foundry.backend.githubdata.GithubWebhookHttpTest.SECRET;
import static dev.foundry.backend.githubdata.GithubWebhookHttpTest.deliver;
import static dev.foundry.backend.githubdata.GithubWebhookHttpTest.sign;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.github.FakeGitHub;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code scripts/bench github}: a full sync of {@code repos} repositories and {@code prs} pull
 * requests from a local {@link FakeGitHub} through the real server (time to {@code synced} with
 * every pull request open on the organization, heap after GC, the organization summary's size),
 * then webhook ingestion: signed deliveries per second and p99 time to 200 at 1 and 16 concurrent
 * senders, against a baseline in the same run (deliveries refused for their signature, which check
 * the HMAC and answer without the durable write). Arguments: repos prs deliveries.
 */
public final class GithubBenchmark {
  public static void main(String[] args) throws Exception {
    int repos = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    int prs = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int deliveries = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    Path dir = Files.createTempDirectory("foundry-github-bench");
    try (FakeGitHub github = new FakeGitHub(dir)) {
      github.itemsPerPage(100);
      Map<String, String> env = new java.util.HashMap<>(GithubDataSyncTest.environment(github));
      ApiServer server = ApiServer.start(dir, env);
      try {
        Browser owner = server.browser();
        String login = "bench-" + UUID.randomUUID().toString().substring(0, 6);
        String org = owner.signIn(login).json().path("activeOrganizationId").asText();
        long installation = github.install(login, "User");
        for (int r = 0; r < repos; r++) {
          github.repository(login + "/repo-" + r, false);
        }
        for (int p = 0; p < prs; p++) {
          github.openPullRequest(login + "/repo-" + (p % repos), "branch-" + p, "PR " + p, "bot");
        }
        long heapBefore = usedHeapAfterGc();
        String body =
            GithubWebhookHttpTest.installationEvent("created", login, "User", installation);
        long t0 = System.nanoTime();
        int status =
            deliver(server, "installation", UUID.randomUUID().toString(), body, sign(SECRET, body))
                .status();
        if (status != 200) {
          throw new IllegalStateException("installation delivery answered " + status);
        }
        JsonNode summary;
        while (true) {
          summary = owner.get("/v1/organizations/" + org).json();
          if ("synced".equals(summary.path("github").path("syncStatus").asText())
              && summary.path("openPullRequests").size() == prs) {
            break;
          }
          if ("error".equals(summary.path("github").path("syncStatus").asText())) {
            throw new IllegalStateException("sync failed: " + summary.path("github"));
          }
          Thread.sleep(250);
        }
        double syncSeconds = (System.nanoTime() - t0) / 1e9;
        long summaryBytes = owner.get("/v1/organizations/" + org).text().getBytes().length;
        long heapAfter = usedHeapAfterGc();
        System.err.printf(
            Locale.ROOT, "full sync of %d repos / %d PRs in %.1f s%n", repos, prs, syncSeconds);

        String star =
            "{\"action\":\"created\",\"repository\":{\"full_name\":\""
                + login
                + "/x\",\"owner\":{\"login\":\""
                + login
                + "\",\"type\":\"User\"}}}";
        String good = sign(SECRET, star);
        String bad = sign("wrong", star);
        StringBuilder json = new StringBuilder();
        json.append(
            String.format(
                Locale.ROOT,
                "{\"repos\":%d,\"pullRequests\":%d,\"fullSyncSeconds\":%.2f,"
                    + "\"heapGrowthMb\":%.1f,\"summaryBytes\":%d,\"webhooks\":[",
                repos,
                prs,
                syncSeconds,
                (heapAfter - heapBefore) / 1e6,
                summaryBytes));
        boolean first = true;
        for (int senders : new int[] {1, 16}) {
          for (boolean signed : new boolean[] {false, true}) {
            double[] r =
                ingest(server, star, signed ? good : bad, signed ? 200 : 401, senders, deliveries);
            System.err.printf(
                Locale.ROOT,
                "%s deliveries, %d senders: %.0f/s, p99 %.1f ms%n",
                signed ? "signed" : "refused (baseline)",
                senders,
                r[0],
                r[1]);
            json.append(first ? "" : ",")
                .append(
                    String.format(
                        Locale.ROOT,
                        "{\"kind\":\"%s\",\"senders\":%d,\"perSecond\":%.0f,\"p99Ms\":%.1f}",
                        signed ? "signed" : "baseline-refused",
                        senders,
                        r[0],
                        r[1]));
            first = false;
          }
        }
        json.append("]}");
        System.out.println(json);
      } finally {
        server.close();
      }
    }
  }

  /** Answers {deliveries per second, p99 ms}; every answer must be {@code expected}. */
  private static double[] ingest(
      ApiServer server, String body, String signature, int expected, int senders, int total)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(senders);
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger left = new AtomicInteger(total);
    long t0 = System.nanoTime();
    List<Future<?>> running = new ArrayList<>();
    for (int s = 0; s < senders; s++) {
      running.add(
          pool.submit(
              () -> {
                while (left.getAndDecrement() > 0) {
                  long a = System.nanoTime();
                  int status =
                      deliver(server, "star", UUID.randomUUID().toString(), body, signature)
                          .status();
                  latencies.add(System.nanoTime() - a);
                  if (status != expected) {
                    throw new IllegalStateException("delivery answered " + status);
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    double p99 =
        sorted.get((int) Math.min(sorted.size() - 1, Math.floor(sorted.size() * 0.99))) / 1e6;
    return new double[] {total / seconds, p99};
  }

  private static long usedHeapAfterGc() {
    System.gc();
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return heap.getUsed();
  }
}
