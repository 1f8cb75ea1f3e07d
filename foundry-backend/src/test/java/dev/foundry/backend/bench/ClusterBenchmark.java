package dev.foundry.backend.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.cluster.ClusterNodes;
import dev.foundry.backend.testing.PostgresServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;

/**
 * {@code scripts/bench cluster}: cluster mode (issue #19) on one node and on three. Each run is a
 * real PostgreSQL (Debian's, in a temporary directory; one server, a database per run) and N
 * production jars ({@code foundry-backend/target/foundry-backend.jar}, {@link ClusterNodes}) on
 * loopback forming one Pekko cluster. The measure is the HTTP benchmark's aggregate durable
 * command: {@code PATCH .../tasks/{id} {"title"}} (answered once applied and journaled in
 * PostgreSQL) in one closed loop per task on all tasks at once, each loop sending its successive
 * requests to the nodes in turn, so every node receives a third of the requests and most of them go
 * on to an actor on another node.
 *
 * <p><b>All nodes share one machine</b> (two cores on the CI kind), with PostgreSQL and this
 * client: three nodes split the same CPU three ways and add a network hop between nodes for two
 * requests out of three, so here they cannot be faster than one; the ratio shows what the cluster
 * costs on one machine, not what it gains on three.
 *
 * <p>The client runs in this JVM, outside every node ({@code java.net.http}, HTTP/1.1 keep-alive).
 * The nodes' access log is turned off (a Logback file of this run) as {@code scripts/bench http}
 * turns it off; the rest of their output goes to {@code target/cluster-bench-node-<i>.log} under
 * the working directory.
 *
 * <p>Options: {@code --seconds N} recorded per run (10), {@code --warmup N} seconds of the same
 * renames first, unrecorded (5), {@code --tasks N} (100), {@code --jar PATH} (the system property
 * {@code foundry.jar}, else {@code foundry-backend/target/foundry-backend.jar}).
 */
public final class ClusterBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LOGIN = "bench";
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  private int seconds = 10;
  private int warmupSeconds = 5;
  private int taskCount = 100;
  private Path jar =
      Path.of(System.getProperty("foundry.jar", "foundry-backend/target/foundry-backend.jar"));

  private final ExecutorService clientThreads = Executors.newFixedThreadPool(2);
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .executor(clientThreads)
          .connectTimeout(Duration.ofSeconds(30))
          .build();
  private final AtomicLong titles = new AtomicLong();

  private ClusterBenchmark() {}

  public static void main(String[] args) throws Exception {
    ClusterBenchmark bench = new ClusterBenchmark();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> bench.seconds = Integer.parseInt(args[++i]);
        case "--warmup" -> bench.warmupSeconds = Integer.parseInt(args[++i]);
        case "--tasks" -> bench.taskCount = Integer.parseInt(args[++i]);
        case "--jar" -> bench.jar = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (!Files.isRegularFile(bench.jar)) {
      throw new IllegalStateException(
          "no jar at " + bench.jar + ": mvn -pl foundry-backend package");
    }
    Map<String, Object> result = bench.run();
    System.out.println(JSON.writeValueAsString(result));
    System.exit(0);
  }

  private Map<String, Object> run() throws Exception {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("suite", "cluster");
    result.put("cores", Runtime.getRuntime().availableProcessors());
    // Anything else running on the machine takes from the same cores: read it beside the result.
    result.put("loadAverageAtStart", loadAverage());
    result.put(
        "machine",
        "every node, PostgreSQL and the client share this one machine: three nodes split the same"
            + " cores, so they cannot be faster here");
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("seconds", seconds);
    options.put("warmupSeconds", warmupSeconds);
    options.put("tasks", taskCount);
    result.put("options", options);
    result.put(
        "measure",
        "PATCH task title over REST (durable: journaled in PostgreSQL before the answer), one"
            + " closed loop per task, each loop's requests to the nodes in turn");
    Path root = Files.createTempDirectory("foundry-cluster-bench");
    log("starting PostgreSQL");
    try (PostgresServer postgres = PostgresServer.start()) {
      Map<String, String> env = nodeEnvironment(root);
      Map<String, Object> one = measure(postgres, 1, root, env);
      Map<String, Object> three = measure(postgres, 3, root, env);
      result.put("oneNode", one);
      result.put("threeNodes", three);
      Map<String, Object> ratio = new LinkedHashMap<>();
      ratio.put("throughput", ratioOf(three, one, "perSec"));
      ratio.put("p50", ratioOf(three, one, "p50Ms"));
      ratio.put("p99", ratioOf(three, one, "p99Ms"));
      result.put("threeToOne", ratio);
      result.put("loadAverageAtEnd", loadAverage());
    } finally {
      clientThreads.shutdownNow();
      deleteTree(root);
    }
    return result;
  }

  /** The nodes' settings beyond the cluster's own: no access log, no passivation during a run. */
  private static Map<String, String> nodeEnvironment(Path root) throws IOException {
    Path logback = root.resolve("logback-bench.xml");
    // The "Foundry listening" and "Foundry ready" lines ClusterNodes waits for are INFO: only the
    // access log (one line per request) is turned off.
    Files.writeString(
        logback,
        """
        <configuration>
          <statusListener class="ch.qos.logback.core.status.NopStatusListener"/>
          <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n</pattern></encoder>
          </appender>
          <logger name="foundry.http.access" level="WARN"/>
          <logger name="org.apache.pekko" level="INFO"/>
          <logger name="slick" level="WARN"/>
          <logger name="com.zaxxer.hikari" level="WARN"/>
          <root level="INFO"><appender-ref ref="out"/></root>
        </configuration>
        """);
    return Map.of(
        "JAVA_TOOL_OPTIONS",
        "-Dlogback.configurationFile=" + logback,
        "FOUNDRY_PASSIVATE_AFTER",
        "30m");
  }

  /** One run: N nodes, sign-in, a repository, the tasks, warm-up, then the recorded renames. */
  private Map<String, Object> measure(
      PostgresServer postgres, int size, Path root, Map<String, String> env) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("nodes", size);
    log("starting " + size + " node(s)");
    long t0 = System.nanoTime();
    try (ClusterNodes nodes =
        ClusterNodes.start(
            postgres, size, jar, root.resolve("nodes-" + size), "cluster-bench-node", env)) {
      out.put("startSeconds", round((System.nanoTime() - t0) / 1e9));
      List<String> bases = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        bases.add(nodes.base(i));
      }
      Run run = setUp(bases, root.resolve("remote-" + size + ".git"), out);
      log(size + " node(s): warming up for " + warmupSeconds + " s");
      run.loops(warmupSeconds, null);
      log(size + " node(s): measuring for " + seconds + " s");
      List<long[]> latencies = new ArrayList<>();
      long t1 = System.nanoTime();
      long errors = run.loops(seconds, latencies);
      double elapsed = (System.nanoTime() - t1) / 1e9;
      long[] sorted = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
      out.put("perSec", round(sorted.length / elapsed));
      out.put("p50Ms", round(pct(sorted, 0.50)));
      out.put("p99Ms", round(pct(sorted, 0.99)));
      out.put("ops", sorted.length);
      out.put("errors", errors);
      out.put("seconds", round(elapsed));
      out.put("lastTitlesRead", run.lastTitlesRead());
      Map<String, Object> actorsPerNode = new LinkedHashMap<>();
      for (int i = 0; i < size; i++) {
        actorsPerNode.put(
            "node" + i, nodes.actors(i).stream().filter(a -> a.startsWith("task|")).count());
      }
      out.put("taskActorsPerNode", actorsPerNode);
    }
    return out;
  }

  /** Signs in, adds a bare repository, creates the tasks (4 at a time, over every node). */
  private Run setUp(List<String> bases, Path bare, Map<String, Object> out) throws Exception {
    HttpResponse<String> signIn =
        http.send(
            request(bases.get(0), null, "/v1/auth/dev/sign-in")
                .POST(HttpRequest.BodyPublishers.ofString("{\"login\":\"" + LOGIN + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    expect(signIn, 200);
    String cookie =
        signIn.headers().allValues("set-cookie").stream()
            .filter(c -> c.startsWith("foundry_session="))
            .map(c -> c.substring("foundry_session=".length(), c.indexOf(';')))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no session cookie: " + signIn.headers()));
    String org = JSON.readTree(signIn.body()).path("activeOrganizationId").asText();
    Process git = new ProcessBuilder("git", "init", "--bare", "-q", bare.toString()).start();
    if (!git.waitFor(30, TimeUnit.SECONDS) || git.exitValue() != 0) {
      throw new IllegalStateException("git init --bare failed");
    }
    HttpResponse<String> repo =
        http.send(
            request(bases.get(0), cookie, "/v1/organizations/" + org + "/repos")
                .POST(
                    HttpRequest.BodyPublishers.ofString("{\"remoteUrl\":\"" + bare.toUri() + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    expect(repo, 201);
    String repoId = JSON.readTree(repo.body()).path("repoId").asText();
    log("creating " + taskCount + " tasks");
    long t0 = System.nanoTime();
    Semaphore window = new Semaphore(4);
    List<CompletableFuture<String>> created = new ArrayList<>();
    for (int i = 0; i < taskCount; i++) {
      window.acquire();
      String body = "{\"repoId\":\"" + repoId + "\",\"task\":\"bench task " + i + "\"}";
      created.add(
          http.sendAsync(
                  request(
                          bases.get(i % bases.size()),
                          cookie,
                          "/v1/organizations/" + org + "/tasks")
                      .POST(HttpRequest.BodyPublishers.ofString(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .thenApply(r -> expect(r, 201))
              .thenApply(r -> readTree(r.body()).path("id").asText())
              .whenComplete((id, failure) -> window.release()));
    }
    List<String> paths = new ArrayList<>();
    for (CompletableFuture<String> c : created) {
      paths.add(
          "/v1/organizations/" + org + "/tasks/" + c.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }
    out.put("createTasksPerSec", round(taskCount / ((System.nanoTime() - t0) / 1e9)));
    return new Run(bases, cookie, paths);
  }

  /** The closed loops of one cluster: loop {@code i} renames task {@code i}, node after node. */
  private final class Run {
    private final List<String> bases;
    private final String cookie;
    private final List<String> paths;
    private final AtomicReferenceArray<String> lastTitle;

    Run(List<String> bases, String cookie, List<String> paths) {
      this.bases = bases;
      this.cookie = cookie;
      this.paths = paths;
      this.lastTitle = new AtomicReferenceArray<>(paths.size());
    }

    /** All loops for {@code seconds}; latencies per loop when recording; the error count. */
    long loops(int seconds, List<long[]> latencies) throws Exception {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      AtomicLong errors = new AtomicLong();
      List<CompletableFuture<long[]>> done = new ArrayList<>();
      for (int i = 0; i < paths.size(); i++) {
        CompletableFuture<long[]> finished = new CompletableFuture<>();
        done.add(finished);
        loop(i, i, end, new long[256], 0, errors, finished);
      }
      for (CompletableFuture<long[]> f : done) {
        long[] samples = f.get(seconds + PATIENCE.toSeconds(), TimeUnit.SECONDS);
        if (latencies != null) {
          latencies.add(samples);
        }
      }
      return errors.get();
    }

    private void loop(
        int i,
        long sent,
        long end,
        long[] samples,
        int size,
        AtomicLong errors,
        CompletableFuture<long[]> done) {
      if (System.nanoTime() >= end) {
        done.complete(Arrays.copyOf(samples, size));
        return;
      }
      String title = "bench " + titles.incrementAndGet();
      HttpRequest rename =
          request(bases.get((int) (sent % bases.size())), cookie, paths.get(i))
              .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"title\":\"" + title + "\"}"))
              .build();
      long t0 = System.nanoTime();
      http.sendAsync(rename, HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (r, failure) -> {
                long[] s = samples;
                int n = size;
                if (failure != null || r.statusCode() != 200) {
                  if (errors.incrementAndGet() == 1) {
                    log("first error: " + (failure != null ? failure : "status " + r.statusCode()));
                  }
                } else {
                  lastTitle.set(i, title);
                  if (n == s.length) {
                    s = Arrays.copyOf(s, n * 2);
                  }
                  s[n++] = System.nanoTime() - t0;
                }
                loop(i, sent + 1, end, s, n, errors, done);
              });
    }

    /**
     * Reads every task back (each from another node than its last rename's, where there are
     * several) and counts those whose title is the last acknowledged one: all of them, or the run
     * measured something other than durable renames.
     */
    int lastTitlesRead() throws Exception {
      int same = 0;
      for (int i = 0; i < paths.size(); i++) {
        HttpResponse<String> r =
            http.send(
                request(bases.get((i + 1) % bases.size()), cookie, paths.get(i)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        expect(r, 200);
        String expected = lastTitle.get(i);
        if (expected == null || expected.equals(readTree(r.body()).path("title").asText())) {
          same++;
        }
      }
      if (same != paths.size()) {
        log((paths.size() - same) + " tasks do not show their last acknowledged title");
      }
      return same;
    }
  }

  private static HttpRequest.Builder request(String base, String cookie, String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(PATIENCE)
            .header("Content-Type", "application/json");
    if (cookie != null) {
      b.header("Cookie", "foundry_session=" + cookie);
    }
    return b;
  }

  private static <T> HttpResponse<T> expect(HttpResponse<T> r, int status) {
    if (r.statusCode() != status) {
      throw new IllegalStateException(
          r.request().method() + " " + r.uri() + " answered " + r.statusCode() + ": " + r.body());
    }
    return r;
  }

  private static JsonNode readTree(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object ratioOf(Map<String, Object> a, Map<String, Object> b, String field) {
    double x = ((Number) a.get(field)).doubleValue();
    double y = ((Number) b.get(field)).doubleValue();
    return y == 0 ? null : round(x / y);
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void log(String s) {
    System.err.println("[bench cluster] " + s);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
