package dev.foundry.backend.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.FoundryApp;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.task.TaskReads;
import dev.foundry.backend.testing.ChildJvm;
import java.io.IOException;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * {@code scripts/bench http}: the backend through its real HTTP server and WebSocket endpoint
 * ({@link FoundryApp} on a loopback port, journal and actor files in a temporary directory, no
 * sandbox agent), driven by a {@code java.net.http} client in the same JVM. Each measure has its
 * baseline in the same run:
 *
 * <ul>
 *   <li><b>REST reads</b> ({@code GET} task detail and organization summary) against {@code GET
 *       /v1/health} and against the same task detail read in-process ({@code
 *       TaskReads.detailForUser}, no HTTP, no session or membership check);
 *   <li><b>durable commands over REST</b> ({@code PATCH .../tasks/{id} {"title"}}, answered once
 *       applied): sequential round trips on one task, and aggregate throughput with one closed loop
 *       per task on all tasks at once, against the same {@code TaskProtocol.Rename} sent straight
 *       through {@link DurableRef#ask} in-process;
 *   <li><b>realtime fan-out</b>: N WebSocket connections each subscribed to the organization, a
 *       burst of renames of distinct tasks; for every command the time from its acknowledgement
 *       (the PATCH answer) to the {@code taskSummaryUpdated} event carrying its title at the last
 *       subscriber, against the same bursts with a single subscriber.
 * </ul>
 *
 * <p>The REST levels (health and task detail at 16, renames sequential and on all tasks) run again
 * with the load from a child JVM ({@link HttpLoadClient}, {@code externalClient} in the result), so
 * the server's JVM runs nothing but the server; the in-process levels stay as the baselines. They
 * run a third time with the load from {@code wrk} when Debian's package is installed ({@code
 * externalClient.wrk}): a C client whose CPU per request is a small fraction of a Java client's.
 *
 * <p>Client and server share the machine's cores and one heap; every level reports the CPU its
 * client threads and its server threads used per operation (thread CPU time), so a reader can tell
 * when the client, not the server, was the limit.
 *
 * <p>Options: {@code --seconds N} per closed loop (3), {@code --warmup N} seconds of every
 * operation at first (30), {@code --level-warmup N} seconds each level runs unrecorded before its
 * clock starts (2), {@code --fanout-warmup N} seconds of unrecorded bursts before each fan-out
 * level (10), {@code --tasks N} (100), {@code --read-concurrency N} (16), {@code --subscribers N}
 * (1000), {@code --burst N} tasks renamed at once (10), {@code --rounds N} bursts (5), {@code
 * --log-level LEVEL} of the server (ERROR: the access log would go to stdout), {@code --only
 * fanout} to measure the fan-out alone (after the same set-up and warm-up), {@code --only wrk} the
 * REST levels with the load from {@code wrk} alone ({@link WrkLoad}), {@code --create-concurrency
 * N} tasks created at a time in the last level (16), {@code --creates-only} (set-up, warm-up, then
 * only that level), {@code --wrk-nice N} the niceness wrk runs at (0; -10 as root schedules the
 * client first, as if it ran on a machine of its own).
 */
public final class HttpBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LOGIN = "bench";
  private static final String ORG = "personal-" + LOGIN;
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  private int seconds = 3;
  private int warmupSeconds = 30;
  private int levelWarmupSeconds = 2;

  /**
   * Unrecorded fan-out rounds before each fan-out level's clock starts. Longer than a closed loop's
   * warm-up: a round is mostly idle (300 ms apart), and with 2 s the JIT compiler still compiled
   * for most of the measured rounds (1.0-1.9 s of compile time in 1.9-2.3 s; 0.15-0.25 s after 10
   * s).
   */
  private int fanoutWarmupSeconds = 10;

  private int taskCount = 100;
  private int readConcurrency = 16;
  private int subscribers = 1000;
  private int burst = 10;
  private int rounds = 5;
  private boolean fanoutOnly;
  private boolean wrkOnly;

  /**
   * The niceness of wrk's process ({@code --wrk-nice}, 0: as the server's; see {@link WrkLoad}).
   */
  private int wrkNice;

  private int createConcurrency = 16;
  private boolean createsOnly;

  private FoundryApp app;
  private final Map<String, Object> organizationBatchTotals = new LinkedHashMap<>();
  private Rest rest;
  private String repoId;
  private final List<String> taskIds = new ArrayList<>();
  private final ExecutorService clientThreads =
      Executors.newFixedThreadPool(2, named("bench-client"));
  private final AtomicLong titles = new AtomicLong();

  /** 429 answers while waiting for the organization: its queue was full. */
  private int overloadedAnswers;

  /** The title each task was last renamed to (one rename per task in flight at a time). */
  private AtomicReferenceArray<String> lastTitle;

  private HttpBenchmark() {}

  public static void main(String[] args) throws Exception {
    HttpBenchmark bench = new HttpBenchmark();
    String logLevel = "ERROR";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> bench.seconds = Integer.parseInt(args[++i]);
        case "--warmup" -> bench.warmupSeconds = Integer.parseInt(args[++i]);
        case "--level-warmup" -> bench.levelWarmupSeconds = Integer.parseInt(args[++i]);
        case "--fanout-warmup" -> bench.fanoutWarmupSeconds = Integer.parseInt(args[++i]);
        case "--tasks" -> bench.taskCount = Integer.parseInt(args[++i]);
        case "--read-concurrency" -> bench.readConcurrency = Integer.parseInt(args[++i]);
        case "--subscribers" -> bench.subscribers = Integer.parseInt(args[++i]);
        case "--burst" -> bench.burst = Integer.parseInt(args[++i]);
        case "--rounds" -> bench.rounds = Integer.parseInt(args[++i]);
        case "--log-level" -> logLevel = args[++i];
        case "--only" -> {
          String only = args[++i];
          switch (only) {
            case "fanout" -> bench.fanoutOnly = true;
            case "wrk" -> bench.wrkOnly = true;
            default -> throw new IllegalArgumentException("--only takes fanout or wrk");
          }
        }
        case "--create-concurrency" -> bench.createConcurrency = Integer.parseInt(args[++i]);
        case "--wrk-nice" -> bench.wrkNice = Integer.parseInt(args[++i]);
        case "--creates-only" -> bench.createsOnly = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (bench.burst > bench.taskCount) {
      throw new IllegalArgumentException("--burst renames distinct tasks: at most --tasks");
    }
    // Before the first logger exists: logback.xml reads it once.
    System.setProperty("LOG_LEVEL", logLevel);
    Map<String, Object> result = bench.run();
    System.out.println(JSON.writeValueAsString(result));
    System.exit(0);
  }

  private Map<String, Object> run() throws Exception {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("suite", "http");
    result.put("cores", Runtime.getRuntime().availableProcessors());
    result.put("loadAverageAtStart", loadAverage());
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("seconds", seconds);
    options.put("warmupSeconds", warmupSeconds);
    options.put("levelWarmupSeconds", levelWarmupSeconds);
    options.put("fanoutWarmupSeconds", fanoutWarmupSeconds);
    options.put("tasks", taskCount);
    options.put("readConcurrency", readConcurrency);
    options.put("subscribers", subscribers);
    options.put("burst", burst);
    options.put("rounds", rounds);
    options.put("only", fanoutOnly ? "fanout" : wrkOnly ? "wrk" : "all");
    options.put("wrkNice", wrkNice);
    options.put("createConcurrency", createConcurrency);
    result.put("options", options);
    result.put(
        "client",
        "java.net.http (HTTP/1.1 keep-alive, WebSocket), same JVM; externalClient: a child JVM");
    result.put(
        "durability", "synchronous=FULL (journal), synchronous=NORMAL (actor files), no sandbox");
    Path root = Files.createTempDirectory("foundry-http-bench");
    try {
      start(root);
      try {
        result.put("setup", setUp(root));
        warmUp();
        result.put("idleServer", idle());
        if (createsOnly) {
          result.put("taskCreation", creates());
          return result;
        }
        if (wrkOnly) {
          result.put("externalClient", Map.of("wrk", wrk(taskPaths())));
          return result;
        }
        if (Boolean.getBoolean("bench.ask100only")) {
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("inProcessDurableRefAskBaseline", new LinkedHashMap<String, Object>());
          inProcessAggregate(d);
          result.put("durableCommands", d);
          return result;
        }
        Map<String, Object> durable = null;
        if (!fanoutOnly) {
          result.put("restReads", restReads());
          durable = durableCommands();
          result.put("durableCommands", durable);
          result.put("externalClient", externalClient());
        }
        Map<String, Object> fanout = new LinkedHashMap<>();
        fanout.put("singleSubscriber", fanout(1));
        fanout.put("subscribers", fanout(subscribers));
        // The console's sockets: several waiting events go as one events frame.
        fanout.put("subscribersBatched", fanout(subscribers, true));
        fanout.put("slowClientsDropped", metric("foundry_realtime_slow_clients_dropped_total"));
        result.put("fanout", fanout);
        // Last: it renames faster than the organization applies the tasks' summaries, and the
        // organization may need minutes to catch up (its lag is part of the result).
        if (durable != null) {
          inProcessAggregate(durable);
        }
        if (!fanoutOnly) {
          // Last too: every task it creates makes the organization (and its summary) larger.
          result.put("taskCreation", creates());
        }
        double[] batches = organizationBatches();
        organizationBatchTotals.put("writes", batches[0]);
        organizationBatchTotals.put("summaries", batches[1]);
      } finally {
        log("stopping the server");
        app.stop(Duration.ofSeconds(60));
      }
    } finally {
      clientThreads.shutdownNow();
      deleteTree(root);
    }
    result.put("loadAverageAtEnd", loadAverage());
    result.put("organizationBatchedWrites", organizationBatchTotals);
    result.put("maxHeapMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    return result;
  }

  // -- the server ------------------------------------------------------------------------------

  private void start(Path root) {
    Map<String, String> env = new HashMap<>();
    env.put("PORT", "0");
    env.put("FOUNDRY_DATA_DIR", root.resolve("data").toString());
    // Pekko HTTP serves at most max-connections (1024 by default): N realtime sockets plus the
    // REST client's connections need a little more. Nothing else differs from the defaults.
    Config overrides =
        ConfigFactory.parseMap(
            Map.of(
                "pekko.loglevel",
                "WARNING",
                "pekko.http.server.max-connections",
                subscribers + 512));
    Config config = FoundryConfig.load(env, overrides);
    log("starting the backend");
    app = FoundryApp.start(config, FoundrySettings.from(config));
    rest = new Rest("http://127.0.0.1:" + app.port(), clientThreads);
  }

  /** Signs in, adds a bare repository, creates the tasks (a few at a time). */
  private Map<String, Object> setUp(Path root) throws Exception {
    Map<String, Object> setup = new LinkedHashMap<>();
    rest.signIn(LOGIN);
    Path bare = root.resolve("remotes").resolve("app.git");
    Files.createDirectories(bare);
    Process git = new ProcessBuilder("git", "init", "--bare", "-q", bare.toString()).start();
    if (!git.waitFor(30, TimeUnit.SECONDS) || git.exitValue() != 0) {
      throw new IllegalStateException("git init --bare failed");
    }
    JsonNode repo =
        rest.json(
            "POST",
            "/v1/organizations/" + ORG + "/repos",
            "{\"remoteUrl\":\"" + bare.toUri() + "\"}",
            201);
    repoId = repo.path("repoId").asText();
    lastTitle = new AtomicReferenceArray<>(taskCount);
    log("creating " + taskCount + " tasks");
    long t0 = System.nanoTime();
    Semaphore window = new Semaphore(4);
    List<CompletableFuture<String>> created = new ArrayList<>();
    for (int i = 0; i < taskCount; i++) {
      window.acquire();
      String body = "{\"repoId\":\"" + repoId + "\",\"task\":\"bench task " + i + "\"}";
      created.add(
          rest.send("POST", "/v1/organizations/" + ORG + "/tasks", body)
              .thenApply(r -> expect(r, 201))
              .thenApply(r -> readTree(r.body()).path("id").asText())
              .whenComplete((id, failure) -> window.release()));
    }
    for (CompletableFuture<String> c : created) {
      taskIds.add(c.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }
    double createSeconds = (System.nanoTime() - t0) / 1e9;
    setup.put("tasksCreated", taskIds.size());
    setup.put("createTasksPerSec", round(taskIds.size() / createSeconds));
    setup.put(
        "organizationSummaryBytes",
        rest.send("GET", "/v1/organizations/" + ORG, null).get().body().length());
    setup.put("taskDetailBytes", rest.send("GET", taskPath(0), null).get().body().length());
    return setup;
  }

  /**
   * Every route and command of the run in 16 loops for {@code --warmup} seconds, unrecorded: the
   * first thousands of requests of a fresh JVM measure the JIT compiler more than the server
   * (without it, health checks measured 300/s in their first 3 s; 1,000/s over 10 s later on).
   */
  private void warmUp() throws Exception {
    log("warming up");
    List<Op> ops =
        List.of(
            i -> rest.send("GET", "/v1/health", null).thenApply(r -> expect(r, 200)),
            i -> rest.send("GET", taskPath(i), null).thenApply(r -> expect(r, 200)),
            i -> rest.send("GET", "/v1/organizations/" + ORG, null).thenApply(r -> expect(r, 200)),
            this::rename,
            this::ask);
    AtomicLong next = new AtomicLong();
    run(
        Math.min(16, taskCount),
        warmupSeconds,
        i -> ops.get((int) (next.getAndIncrement() % ops.size())).run(i));
    organizationCaughtUp();
  }

  /** What the server does with no request in flight: nothing, if the measures are to mean much. */
  private Map<String, Object> idle() throws Exception {
    log("idle for 2 s");
    Cpu cpu = Cpu.start();
    Thread.sleep(2000);
    return cpu.stop(1, "total", 1, 5);
  }

  private String taskPath(int i) {
    return "/v1/organizations/" + ORG + "/tasks/" + taskIds.get(i);
  }

  /** Every task's path, in order. */
  private List<String> taskPaths() {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < taskCount; i++) {
      paths.add(taskPath(i));
    }
    return paths;
  }

  private DurableRef<TaskProtocol.Command<?>> taskRef(int i) {
    return app.runtime().get(TaskProtocol.TYPE, TaskProtocol.key(ORG, repoId, taskIds.get(i)));
  }

  // -- REST reads ------------------------------------------------------------------------------

  private Map<String, Object> restReads() throws Exception {
    Map<String, Object> reads = new LinkedHashMap<>();
    Map<String, IntFunction<String>> routes = new LinkedHashMap<>();
    routes.put("health", i -> "/v1/health");
    routes.put("taskDetail", i -> taskPath(i % taskCount)); // each loop reads its own task
    routes.put("organizationSummary", i -> "/v1/organizations/" + ORG);
    for (Map.Entry<String, IntFunction<String>> route : routes.entrySet()) {
      Map<String, Object> levels = new LinkedHashMap<>();
      for (int c : new int[] {1, readConcurrency}) {
        log("GET " + route.getKey() + ", " + c + " concurrent");
        IntFunction<String> path = route.getValue();
        levels.put(
            "c" + c,
            measure(c, i -> rest.send("GET", path.apply(i), null).thenApply(r -> expect(r, 200)))
                .json());
      }
      reads.put(route.getKey(), levels);
    }
    String userId = "local-" + LOGIN;
    Map<String, Object> inProcess = new LinkedHashMap<>();
    for (int c : new int[] {1, readConcurrency}) {
      log("task detail in-process, " + c + " concurrent");
      inProcess.put(
          "c" + c,
          measure(
                  c,
                  i -> TaskReads.detailForUser(app.runtime(), taskRef(i % taskCount).key(), userId))
              .json());
    }
    reads.put("taskDetailInProcessBaseline", inProcess);
    return reads;
  }

  // -- task creation ---------------------------------------------------------------------------

  /**
   * {@code POST .../tasks} in {@code --create-concurrency} closed loops (no sandbox: the task's
   * provisioning ends at once), each answer a new task's detail; the baseline is the setup's 4 at a
   * time, in {@code setup.createTasksPerSec}.
   */
  private Map<String, Object> creates() throws Exception {
    AtomicLong n = new AtomicLong();
    log("POST task, " + createConcurrency + " at a time");
    Map<String, double[]> before = commandCounts();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(
        "c" + createConcurrency,
        measure(
                createConcurrency,
                i -> {
                  String body =
                      "{\"repoId\":\""
                          + repoId
                          + "\",\"task\":\"bench create "
                          + n.incrementAndGet()
                          + "\"}";
                  return rest.send("POST", "/v1/organizations/" + ORG + "/tasks", body)
                      .thenApply(r -> expect(r, 201));
                })
            .json());
    out.put("perCreationByKind", perCreation(before, commandCounts(), n.get()));
    return out;
  }

  // -- durable commands ------------------------------------------------------------------------

  private Map<String, Object> durableCommands() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> overRest = new LinkedHashMap<>();
    log("PATCH rename, sequential, one task");
    overRest.put("sequential", withLag(measure(1, warm(), seconds, i -> rename(i), true)));
    log("PATCH {} (same route and checks, nothing to write), sequential, one task");
    overRest.put(
        "sequentialNothingToWriteBaseline",
        measure(1, i -> rest.send("PATCH", taskPath(i), "{}").thenApply(r -> expect(r, 200)))
            .json());
    log("PATCH rename, " + taskCount + " tasks at once");
    overRest.put(
        "tasks" + taskCount, withLag(measure(taskCount, warm(), seconds, i -> rename(i), true)));
    out.put("rest", overRest);
    Map<String, Object> inProcess = new LinkedHashMap<>();
    log("DurableRef.ask rename, sequential, one task");
    inProcess.put("sequential", withLag(measure(1, warm(), seconds, i -> ask(i), true)));
    out.put("inProcessDurableRefAskBaseline", inProcess);
    out.put(
        "peerRivetkit",
        "RivetKit 2.3.19 on this machine: 14-20 send(wait) commands/s sequential, 16-17/s with"
            + " 100 actors (../shared/peer/rivetkit-bench)");
    return out;
  }

  @SuppressWarnings("unchecked")
  private void inProcessAggregate(Map<String, Object> durable) throws Exception {
    log("DurableRef.ask rename, " + taskCount + " tasks at once");
    ((Map<String, Object>) durable.get("inProcessDurableRefAskBaseline"))
        // No warm-up of its own (the sequential asks warmed the path): its backlog of summaries
        // would take the organization longer to apply than the level takes to run.
        .put("tasks" + taskCount, withLag(measure(taskCount, 0, seconds, i -> ask(i), true)));
  }

  /** How long the organization summary took to show the tasks' last titles; false: gave up. */
  record Lag(double seconds, boolean caughtUp, int tasksBehind) {}

  private int warm() {
    return Math.min(levelWarmupSeconds, seconds);
  }

  /** A level's numbers, and how long the organization summary then took to show its last titles. */
  private Map<String, Object> withLag(Level level) throws Exception {
    Map<String, Object> m = level.json();
    int overloaded = overloadedAnswers;
    Lag lag = organizationCaughtUp();
    m.put("organizationSummaryLagSeconds", lag.seconds());
    if (lag.seconds() >= 1) {
      // Every rename pushed one summary to the organization: the rate it applied them at.
      m.put(
          "organizationAppliedSummariesPerSec",
          round(level.ops() / (level.seconds() + lag.seconds())));
    }
    if (!lag.caughtUp()) {
      m.put("organizationSummaryCaughtUp", false);
      m.put("organizationSummaryTasksBehind", lag.tasksBehind());
    }
    if (overloadedAnswers > overloaded) {
      m.put("organizationOverloaded429WhileCatchingUp", overloadedAnswers - overloaded);
    }
    return m;
  }

  private CompletionStage<?> rename(int i) {
    String title = "rest " + titles.incrementAndGet();
    lastTitle.set(i, title);
    String body = "{\"title\":\"" + title + "\"}";
    return rest.send("PATCH", taskPath(i), body).thenApply(r -> expect(r, 200));
  }

  private CompletionStage<?> ask(int i) {
    String title = "ask " + titles.incrementAndGet();
    lastTitle.set(i, title);
    return taskRef(i).ask(new TaskProtocol.Rename(title));
  }

  /**
   * Waits until the organization summary shows every task's last title. A task pushes its summary
   * to the organization after answering (through its outbox), so the organization may lag behind a
   * burst of renames; the next measure must not start while it catches up. Gives up after {@link
   * #PATIENCE}.
   */
  private Lag organizationCaughtUp() throws Exception {
    long t0 = System.nanoTime();
    long deadline =
        t0 + Long.getLong("bench.catchUpSeconds", PATIENCE.toSeconds()) * 1_000_000_000L;
    while (true) {
      HttpResponse<String> answer = rest.send("GET", "/v1/organizations/" + ORG, null).get();
      Map<String, String> shown = new HashMap<>();
      if (answer.statusCode() == 200) {
        for (JsonNode t : readTree(answer.body()).path("taskSummaries")) {
          shown.put(t.path("id").asText(), t.path("title").asText());
        }
      } else if (answer.statusCode() == 429) {
        overloadedAnswers++; // the organization has a full queue: it is behind
      } else {
        expect(answer, 200);
      }
      int behind = 0;
      String example = null;
      for (int i = 0; i < taskIds.size(); i++) {
        String expected = lastTitle.get(i);
        if (expected != null && !expected.equals(shown.get(taskIds.get(i)))) {
          behind++;
          example = "shows '" + shown.get(taskIds.get(i)) + "', last renamed to '" + expected + "'";
        }
      }
      double waited = (System.nanoTime() - t0) / 1e9;
      if (behind == 0 && answer.statusCode() == 200) {
        return new Lag(round(waited), true, 0);
      }
      if (System.nanoTime() > deadline) {
        log(
            "organization summary still behind after "
                + round(waited)
                + " s on "
                + behind
                + " tasks (one "
                + example
                + "); going on");
        return new Lag(round(waited), false, behind);
      }
      Thread.sleep(answer.statusCode() == 429 ? 500 : 50);
    }
  }

  // -- the load from a second JVM ------------------------------------------------------------

  /**
   * The REST measures again with the client in a child JVM ({@link HttpLoadClient}): the server's
   * JVM then runs nothing but the server, and its CPU per request excludes the client's.
   */
  private Map<String, Object> externalClient() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    List<String> tasks = taskPaths();
    out.put("client", "java.net.http in a child JVM (C1 only, 256 MB heap, serial GC)");
    log("child JVM: GET health, " + readConcurrency + " concurrent");
    out.put("healthC" + readConcurrency, external("get", readConcurrency, List.of("/v1/health")));
    log("child JVM: GET taskDetail, " + readConcurrency + " concurrent");
    out.put("taskDetailC" + readConcurrency, external("get", readConcurrency, tasks));
    log("child JVM: PATCH rename, sequential, one task");
    out.put("renameSequential", external("rename", 1, tasks.subList(0, 1)));
    log("child JVM: PATCH rename, " + taskCount + " tasks at once");
    out.put("renameTasks" + taskCount, external("rename", taskCount, tasks));
    out.put("wrk", wrk(tasks));
    return out;
  }

  /**
   * The same REST levels with the load from {@code wrk} ({@link WrkLoad}), whose CPU per request is
   * a small fraction of a Java client's: what the server does with nearly both cores.
   */
  private Map<String, Object> wrk(List<String> tasks) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    if (!WrkLoad.available()) {
      out.put("skipped", "no /usr/bin/wrk (Debian's package wrk; scripts/bench http installs it)");
      return out;
    }
    Path scripts = Files.createTempDirectory("foundry-http-bench-wrk");
    try {
      WrkLoad wrk = new WrkLoad(rest.base, rest.cookie, scripts, wrkNice);
      out.put(
          "client",
          "wrk, a Lua script picking each request's path in turn on one thread; the PerTask level:"
              + " one thread and connection per task");
      log("wrk: GET health, " + readConcurrency + " concurrent");
      out.put(
          "healthC" + readConcurrency, wrkLevel(wrk.get(List.of("/v1/health"), readConcurrency)));
      log("wrk: GET taskDetail, " + readConcurrency + " concurrent");
      out.put("taskDetailC" + readConcurrency, wrkLevel(wrk.get(tasks, readConcurrency)));
      log("wrk: PATCH rename, sequential, one task");
      String prefix = "wrk" + titles.incrementAndGet();
      out.put("renameSequential", wrkRenames(wrk.rename(tasks.subList(0, 1), prefix, 1)));
      log("wrk: PATCH rename, " + taskCount + " connections over " + taskCount + " tasks");
      prefix = "wrk" + titles.incrementAndGet();
      out.put("renameTasks" + taskCount, wrkRenames(wrk.rename(tasks, prefix, taskCount)));
      log("wrk: PATCH rename, " + taskCount + " tasks, one connection (and thread) each");
      prefix = "wrk" + titles.incrementAndGet();
      out.put("renameTasks" + taskCount + "PerTask", wrkRenames(wrk.renamePerPath(tasks, prefix)));
    } finally {
      deleteTree(scripts);
    }
    return out;
  }

  /** A wrk load unrecorded for the level warm-up, then recorded with the server's CPU. */
  private Map<String, Object> wrkLevel(WrkLoad.Load load) throws Exception {
    load.run(warm());
    Cpu cpu = Cpu.start();
    Map<String, Object> level = load.run(seconds);
    level.put("cpu", cpu.stop(((Number) level.getOrDefault("ops", 0L)).longValue(), "perOp", 1));
    return level;
  }

  /** A wrk rename level, then how long the organization took to show every task's own title. */
  private Map<String, Object> wrkRenames(WrkLoad.Load load) throws Exception {
    Map<String, Object> level = wrkLevel(load);
    // wrk does not say which title each task got last: each task's own detail does.
    for (int i = 0; i < taskIds.size(); i++) {
      lastTitle.set(i, rest.json("GET", taskPath(i), null, 200).path("title").asText());
    }
    Lag lag = organizationCaughtUp();
    level.put("organizationSummaryLagSeconds", lag.seconds());
    if (!lag.caughtUp()) {
      level.put("organizationSummaryCaughtUp", false);
    }
    return level;
  }

  /** One level in a child JVM; a rename level then waits for the organization to show it. */
  @SuppressWarnings("unchecked")
  private Map<String, Object> external(String op, int loops, List<String> paths) throws Exception {
    List<String> args =
        List.of(
            "--base",
            rest.base,
            "--cookie",
            rest.cookie,
            "--op",
            op,
            "--title-prefix",
            "ext" + titles.incrementAndGet(),
            "--loops",
            String.valueOf(loops),
            "--warmup",
            String.valueOf(warm()),
            "--seconds",
            String.valueOf(seconds),
            "--paths",
            String.join(",", paths));
    double[] batchesBefore = organizationBatches();
    Map<String, Object> level;
    // In the working directory: scripts/bench gives the class path relative to it.
    Path here = Path.of("").toAbsolutePath();
    try (ChildJvm client = ChildJvm.start(HttpLoadClient.class.getName(), args, Map.of(), here)) {
      client.awaitLine("RECORDING"::equals, PATIENCE);
      Cpu cpu = Cpu.start();
      client.awaitLine("RECORDED"::equals, PATIENCE.plusSeconds(seconds));
      String json = client.awaitLine(l -> l.startsWith("{"), PATIENCE);
      level = JSON.readValue(json, LinkedHashMap.class);
      long ops = ((Number) level.get("ops")).longValue();
      level.put("cpu", cpu.stop(ops, "perOp", 1));
    }
    List<String> last = (List<String>) level.remove("lastTitles");
    if (!op.equals("rename")) {
      return level;
    }
    for (int i = 0; i < last.size(); i++) {
      if (last.get(i) != null) {
        lastTitle.set(i, last.get(i));
      }
    }
    Lag lag = organizationCaughtUp();
    level.put("organizationSummaryLagSeconds", lag.seconds());
    double[] batches = organizationBatches();
    double writes = batches[0] - batchesBefore[0];
    if (writes > 0) {
      // Warm-up included: how many summaries the organization applied per journal write.
      level.put("organizationSummariesPerWrite", round((batches[1] - batchesBefore[1]) / writes));
    }
    if (!lag.caughtUp()) {
      level.put("organizationSummaryCaughtUp", false);
      level.put("organizationSummaryTasksBehind", lag.tasksBehind());
    }
    return level;
  }

  // -- realtime fan-out ------------------------------------------------------------------------

  private Map<String, Object> fanout(int n) throws Exception {
    return fanout(n, false);
  }

  /** {@code batched}: the sockets ask for {@code events} frames ({@code ?batch=true}). */
  private Map<String, Object> fanout(int n, boolean batched) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    Fanout fanout = new Fanout(n);
    ExecutorService wsThreads = Executors.newFixedThreadPool(2, named("bench-ws"));
    HttpClient ws =
        HttpClient.newBuilder().executor(wsThreads).connectTimeout(Duration.ofSeconds(30)).build();
    try {
      log(n + " WebSocket connections" + (batched ? ", batched" : ""));
      long t0 = System.nanoTime();
      Semaphore window = new Semaphore(32);
      List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        window.acquire();
        Subscriber s = new Subscriber(fanout);
        fanout.all.add(s);
        opening.add(
            ws.newWebSocketBuilder()
                .header("Cookie", "foundry_session=" + rest.cookie)
                .connectTimeout(Duration.ofSeconds(30))
                .buildAsync(
                    URI.create(
                        rest.base.replace("http:", "ws:")
                            + "/v1/realtime"
                            + (batched ? "?batch=true" : "")),
                    s)
                .whenComplete((socket, failure) -> window.release())
                .toCompletableFuture());
      }
      for (CompletableFuture<WebSocket> o : opening) {
        o.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      }
      out.put("connectSeconds", round((System.nanoTime() - t0) / 1e9));
      log(n + " subscribes to organization " + ORG);
      long t1 = System.nanoTime();
      String subscribe =
          "{\"type\":\"subscribe\",\"topic\":\"organization\",\"id\":\"" + ORG + "\"}";
      for (Subscriber s : fanout.all) {
        window.acquire();
        s.socket.sendText(subscribe, true).whenComplete((x, failure) -> window.release());
      }
      for (Subscriber s : fanout.all) {
        s.snapshot.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      }
      out.put("subscribeSeconds", round((System.nanoTime() - t1) / 1e9));
      out.put("snapshotChars", fanout.all.get(0).snapshotChars);
      organizationCaughtUp();

      log(
          rounds
              + " bursts of "
              + burst
              + " renames, after unrecorded ones for "
              + fanoutWarmupSeconds
              + " s");
      List<Long> ackToLast = new ArrayList<>();
      List<Long> ackToFirst = new ArrayList<>();
      List<Long> sendToLast = new ArrayList<>();
      List<Long> commandLatency = new ArrayList<>();
      List<Double> burstSeconds = new ArrayList<>();
      long missing = 0;
      long framesBefore = 0;
      long eventsBefore = 0;
      long fullBefore = 0;
      Cpu cpu = null;
      long measuredNanos = 0;
      // Unrecorded rounds first, as every level warms up: at least one, then as many as fit in
      // --fanout-warmup (1,000 sockets take paths the run's warm-up did not).
      long warmUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(fanoutWarmupSeconds);
      int warmRounds = 0;
      int recorded = 0;
      while (recorded < rounds) {
        boolean warming = warmRounds == 0 || System.nanoTime() < warmUntil;
        Thread.sleep(300); // rounds do not overlap: each starts on an idle server
        if (!warming && recorded == 0) {
          framesBefore = fanout.frames.get();
          eventsBefore = fanout.events.get();
          fullBefore = fanout.fullReplacements.get();
          cpu = Cpu.start();
        }
        Round round = new Round(titles.get() + 1, burst, n);
        titles.addAndGet(burst);
        fanout.current = round;
        long start = System.nanoTime();
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
          int k = i;
          round.sent[k] = System.nanoTime();
          String title = Fanout.PREFIX + (round.first + k);
          lastTitle.set(k, title);
          String body = "{\"title\":\"" + title + "\"}";
          acks.add(
              rest.send("PATCH", taskPath(k), body)
                  .thenApply(response -> expect(response, 200))
                  .thenRun(() -> round.acked[k] = System.nanoTime()));
        }
        for (CompletableFuture<?> a : acks) {
          a.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        if (!round.complete.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
          log(
              "round "
                  + (warming ? "warm-up " + warmRounds : recorded)
                  + " incomplete after "
                  + PATIENCE);
        }
        if (warming) {
          warmRounds++;
          continue;
        }
        recorded++;
        long end = 0;
        for (int k = 0; k < burst; k++) {
          int seen = round.seenBy.get(k);
          missing += n - seen;
          if (seen < n) {
            continue;
          }
          ackToLast.add(round.last.get(k) - round.acked[k]);
          ackToFirst.add(round.first(k) - round.acked[k]);
          sendToLast.add(round.last.get(k) - round.sent[k]);
          commandLatency.add(round.acked[k] - round.sent[k]);
          end = Math.max(end, round.last.get(k));
        }
        if (end > 0) {
          burstSeconds.add((end - start) / 1e9);
          measuredNanos += end - start;
        }
      }
      long frames = fanout.frames.get() - framesBefore;
      out.put("warmUpRounds", warmRounds);
      out.put("commandAckToLastSubscriberMs", percentiles(ackToLast));
      out.put("commandAckToFirstSubscriberMs", percentiles(ackToFirst));
      out.put("commandSendToLastSubscriberMs", percentiles(sendToLast));
      out.put("commandRoundTripMs", percentiles(commandLatency));
      if (!burstSeconds.isEmpty()) {
        out.put(
            "burstSecondsMedian",
            round(burstSeconds.stream().sorted().toList().get(burstSeconds.size() / 2)));
      }
      out.put("eventFramesReceived", frames);
      out.put(
          "eventsPerFrame",
          round((double) (fanout.events.get() - eventsBefore) / Math.max(1, frames)));
      out.put("eventFramesPerSec", round(frames / (measuredNanos / 1e9)));
      out.put("eventChars", fanout.eventChars);
      out.put("fullReplacementFramesReceived", fanout.fullReplacements.get() - fullBefore);
      out.put("missingDeliveries", missing);
      out.put("socketsClosedByServer", fanout.closed.get());
      out.put("cpu", cpu.stop(frames, "perThousandFrames", 1000, 8));
    } finally {
      List<CompletableFuture<?>> closing = new ArrayList<>();
      for (Subscriber s : fanout.all) {
        if (s.socket != null) {
          closing.add(
              s.socket
                  .sendClose(WebSocket.NORMAL_CLOSURE, "done")
                  .toCompletableFuture()
                  .exceptionally(x -> null));
        }
      }
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
          .orTimeout(60, TimeUnit.SECONDS)
          .exceptionally(x -> null)
          .join();
      wsThreads.shutdownNow();
    }
    return out;
  }

  /** The commands of one burst: when each was sent and acknowledged, and who has seen it. */
  private static final class Round {
    final long first;
    final int size;
    final int subscribers;
    final long[] sent;
    final long[] acked;
    final AtomicIntegerArray seenBy;
    final AtomicLongArray firstSeen;
    final AtomicLongArray last;
    final CountDownLatch complete;

    Round(long first, int size, int subscribers) {
      this.first = first;
      this.size = size;
      this.subscribers = subscribers;
      sent = new long[size];
      acked = new long[size];
      seenBy = new AtomicIntegerArray(size);
      firstSeen = new AtomicLongArray(size);
      for (int i = 0; i < size; i++) {
        firstSeen.set(i, Long.MAX_VALUE);
      }
      last = new AtomicLongArray(size);
      complete = new CountDownLatch(size);
    }

    long first(int k) {
      return firstSeen.get(k);
    }

    /** Subscriber saw command {@code k}'s title for the first time at {@code at}. */
    void seen(int k, long at) {
      firstSeen.accumulateAndGet(k, at, Math::min);
      last.accumulateAndGet(k, at, Math::max);
      if (seenBy.incrementAndGet(k) == subscribers) {
        complete.countDown();
      }
    }
  }

  /** What all subscribers of one fan-out share. */
  private static final class Fanout {
    /** Titles of burst commands: {@code fan-<n>}, n unique over the run. */
    static final String PREFIX = "fan-";

    private static final String MARK = "\"title\":\"" + PREFIX;

    /** A task's change: the one event a rename sends on the organization topic. */
    private static final String TASK_CHANGE = "\"event\":\"taskSummaryUpdated\"";

    private static final String FULL = "\"event\":\"organizationUpdated\"";

    final List<Subscriber> all;
    final AtomicLong frames = new AtomicLong();

    /** Burst events seen (an events frame carries several). */
    final AtomicLong events = new AtomicLong();

    final AtomicLong fullReplacements = new AtomicLong();
    final AtomicInteger closed = new AtomicInteger();
    volatile Round current;
    volatile int eventChars;

    Fanout(int n) {
      all = new ArrayList<>(n);
    }

    /**
     * Finds the burst title in a {@code taskSummaryUpdated} event: each is one command's first
     * sight, once per socket. A whole organization (which a rename no longer sends) is counted, not
     * searched.
     */
    void onEvent(Subscriber s, String text, long at) {
      frames.incrementAndGet();
      if (text.contains(FULL)) {
        fullReplacements.incrementAndGet();
        return;
      }
      if (!text.contains(TASK_CHANGE)) {
        return;
      }
      if (text.startsWith("{\"type\":\"event\"")) {
        eventChars = text.length();
      }
      Round round = current;
      if (round == null) {
        return;
      }
      int i = 0;
      while ((i = text.indexOf(MARK, i)) >= 0) {
        i += MARK.length();
        long n = 0;
        while (i < text.length() && Character.isDigit(text.charAt(i))) {
          n = n * 10 + (text.charAt(i++) - '0');
        }
        events.incrementAndGet();
        long k = n - round.first;
        if (k >= 0 && k < round.size && !s.seen.get((int) n)) {
          s.seen.set((int) n);
          round.seen((int) k, at);
        }
      }
    }
  }

  /** One WebSocket subscriber: reads every frame as it arrives. */
  private static final class Subscriber implements WebSocket.Listener {
    final Fanout fanout;
    final CompletableFuture<Void> snapshot = new CompletableFuture<>();
    final BitSet seen = new BitSet();
    final StringBuilder partial = new StringBuilder();
    volatile WebSocket socket;
    volatile int snapshotChars;

    Subscriber(Fanout fanout) {
      this.fanout = fanout;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      socket = webSocket;
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      long at = System.nanoTime();
      if (!last) {
        partial.append(data);
        webSocket.request(1);
        return null;
      }
      String text;
      if (partial.length() == 0) {
        text = data.toString();
      } else {
        text = partial.append(data).toString();
        partial.setLength(0);
      }
      if (text.startsWith("{\"type\":\"event")) { // an event, or an events frame of several
        fanout.onEvent(this, text, at);
      } else if (text.startsWith("{\"type\":\"snapshot\"")) {
        snapshotChars = text.length();
        snapshot.complete(null);
      } else {
        snapshot.completeExceptionally(new IllegalStateException("unexpected frame " + text));
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      fanout.closed.incrementAndGet();
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      fanout.closed.incrementAndGet();
      snapshot.completeExceptionally(error);
    }
  }

  // -- closed loops ----------------------------------------------------------------------------

  interface Op {
    CompletionStage<?> run(int loop);
  }

  record Level(
      int concurrency,
      double perSec,
      double p50Ms,
      double p99Ms,
      long ops,
      long errors,
      double seconds,
      Map<String, Object> cpu) {
    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("concurrency", concurrency);
      m.put("perSec", round(perSec));
      m.put("p50Ms", round(p50Ms));
      m.put("p99Ms", round(p99Ms));
      m.put("ops", ops);
      if (errors > 0) {
        m.put("errors", errors);
      }
      m.put("cpu", cpu);
      return m;
    }
  }

  /** A level as most are measured: warmed up for {@code --level-warmup} seconds first. */
  private Level measure(int loops, Op op) throws Exception {
    return measure(loops, Math.min(levelWarmupSeconds, seconds), seconds, op, false);
  }

  /**
   * {@code loops} closed loops of {@code op}, each with one operation in flight: unrecorded for
   * {@code warmSeconds} (at least once per loop: connections open, actors active, the JIT compiler
   * done with this path), then recorded for {@code seconds}. With {@code settle}, the organization
   * catches up on the warm-up's task summaries before the clock starts.
   */
  private Level measure(int loops, int warmSeconds, int seconds, Op op, boolean settle)
      throws Exception {
    List<CompletableFuture<?>> warm = new ArrayList<>();
    for (int i = 0; i < loops; i++) {
      warm.add(op.run(i).toCompletableFuture());
    }
    for (CompletableFuture<?> w : warm) {
      w.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
    if (warmSeconds > 0) {
      run(loops, warmSeconds, op);
    }
    if (settle) {
      organizationCaughtUp();
    }
    Cpu cpu = Cpu.start();
    long start = System.nanoTime();
    List<Samples> latencies = new ArrayList<>();
    AtomicLong errors = run(loops, seconds, op, latencies);
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] sorted = latencies.stream().flatMapToLong(Samples::stream).sorted().toArray();
    return new Level(
        loops,
        sorted.length / elapsed,
        pct(sorted, 0.50),
        pct(sorted, 0.99),
        sorted.length,
        errors.get(),
        elapsed,
        cpu.stop(sorted.length, "perOp", 1));
  }

  private void run(int loops, int seconds, Op op) throws Exception {
    run(loops, seconds, op, new ArrayList<>());
  }

  /** Runs the loops for {@code seconds}; their latencies land in {@code latencies}. */
  private AtomicLong run(int loops, int seconds, Op op, List<Samples> latencies) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<CompletableFuture<Void>> done = new ArrayList<>();
    AtomicLong errors = new AtomicLong();
    for (int i = 0; i < loops; i++) {
      Samples samples = new Samples();
      latencies.add(samples);
      CompletableFuture<Void> finished = new CompletableFuture<>();
      done.add(finished);
      loop(op, i, end, samples, errors, finished);
    }
    for (CompletableFuture<Void> f : done) {
      f.get(seconds + PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
    return errors;
  }

  private static void loop(
      Op op, int i, long end, Samples samples, AtomicLong errors, CompletableFuture<Void> done) {
    if (System.nanoTime() >= end) {
      done.complete(null);
      return;
    }
    long t0 = System.nanoTime();
    op.run(i)
        .whenComplete(
            (v, failure) -> {
              if (failure != null) {
                if (errors.incrementAndGet() == 1) {
                  log("first error: " + failure);
                }
              } else {
                samples.add(System.nanoTime() - t0);
              }
              loop(op, i, end, samples, errors, done);
            });
  }

  /** Latencies of one loop; grows as needed. */
  private static final class Samples {
    long[] values = new long[256];
    int size;

    synchronized void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    synchronized java.util.stream.LongStream stream() {
      return Arrays.stream(values, 0, size);
    }
  }

  // -- CPU per thread group --------------------------------------------------------------------

  /**
   * CPU time of the client's threads (this class's pools, the JDK HTTP client's selector threads,
   * {@code main}), of every other Java thread (the server: Pekko dispatchers, journal, SQLite), and
   * what the process used beyond Java threads (GC and JIT compiler threads); with the JVM's own JIT
   * compile time and GC pause time, so a level still warming up shows it.
   */
  private static final class Cpu {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> before;
    private final long processBefore;
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
    private final long wallBefore = System.nanoTime();
    private final long jitBefore = JIT.getTotalCompilationTime();
    private final long gcBefore = gcMillis();
    private static final ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();
    private final long classesBefore = CLASSES.getTotalLoadedClassCount();

    private static long gcMillis() {
      return ManagementFactory.getGarbageCollectorMXBeans().stream()
          .mapToLong(GarbageCollectorMXBean::getCollectionTime)
          .sum();
    }

    private Cpu(Map<Long, Long> before, long processBefore) {
      this.before = before;
      this.processBefore = processBefore;
    }

    static Cpu start() {
      return new Cpu(threadTimes(), processCpu());
    }

    private static Map<Long, Long> threadTimes() {
      Map<Long, Long> times = new HashMap<>();
      for (long id : THREADS.getAllThreadIds()) {
        long t = THREADS.getThreadCpuTime(id);
        if (t >= 0) {
          times.put(id, t);
        }
      }
      return times;
    }

    private static long processCpu() {
      return ((com.sun.management.OperatingSystemMXBean)
              ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }

    private static boolean client(String name) {
      return name.startsWith("bench-")
          || (name.startsWith("HttpClient-") && name.endsWith("-SelectorManager"))
          || name.equals("main");
    }

    /** CPU milliseconds per {@code per} units of {@code count}, by group. */
    Map<String, Object> stop(long count, String unit, int per) {
      return stop(count, unit, per, 0);
    }

    Map<String, Object> stop(long count, String unit, int per, int threadGroups) {
      long wall = System.nanoTime() - wallBefore;
      long process = processCpu() - processBefore;
      long clientNanos = 0;
      long serverNanos = 0;
      Map<Long, Long> after = threadTimes();
      Map<Long, String> names = new HashMap<>();
      for (ThreadInfo info :
          THREADS.getThreadInfo(after.keySet().stream().mapToLong(x -> x).toArray())) {
        if (info != null) {
          names.put(info.getThreadId(), info.getThreadName());
        }
      }
      Map<String, Long> groups = new HashMap<>();
      for (Map.Entry<Long, Long> e : after.entrySet()) {
        long used = e.getValue() - before.getOrDefault(e.getKey(), 0L);
        String name = names.getOrDefault(e.getKey(), "");
        if (client(name)) {
          clientNanos += used;
        } else {
          serverNanos += used;
        }
        groups.merge(name.replaceAll("[0-9]+", "N"), used, Long::sum);
      }
      double units = Math.max(1, count) / (double) per;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("serverMs" + capitalize(unit), round(serverNanos / 1e6 / units));
      m.put("clientMs" + capitalize(unit), round(clientNanos / 1e6 / units));
      m.put(
          "gcJitMs" + capitalize(unit),
          round(Math.max(0, process - serverNanos - clientNanos) / 1e6 / units));
      m.put("busyCores", round(process / (double) wall));
      m.put("jitCompileMs", JIT.getTotalCompilationTime() - jitBefore);
      m.put("gcPauseMs", gcMillis() - gcBefore);
      m.put("classesLoaded", CLASSES.getTotalLoadedClassCount() - classesBefore);
      if (threadGroups > 0) {
        // The busiest threads (digits folded: "default-dispatcher-N"), in CPU seconds: which
        // part of the server (or the client) a measure kept busy.
        Map<String, Object> top = new LinkedHashMap<>();
        groups.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .limit(threadGroups)
            .forEach(e -> top.put(e.getKey(), round(e.getValue() / 1e9)));
        m.put("busiestThreadsCpuSeconds", top);
        m.put("wallSeconds", round(wall / 1e9));
      }
      return m;
    }

    private static String capitalize(String s) {
      return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
  }

  // -- the REST client -------------------------------------------------------------------------

  /** One signed-in browser over HTTP/1.1 keep-alive connections (one per request in flight). */
  private static final class Rest {
    final String base;
    final HttpClient http;
    volatile String cookie;

    Rest(String base, ExecutorService threads) {
      this.base = base;
      this.http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .executor(threads)
              .connectTimeout(Duration.ofSeconds(30))
              .build();
    }

    void signIn(String login) throws Exception {
      HttpResponse<String> r =
          send("POST", "/v1/auth/dev/sign-in", "{\"login\":\"" + login + "\"}").get();
      expect(r, 200);
      for (String c : r.headers().allValues("set-cookie")) {
        if (c.startsWith("foundry_session=")) {
          cookie = c.substring("foundry_session=".length(), c.indexOf(';'));
        }
      }
      if (cookie == null) {
        throw new IllegalStateException("dev sign-in set no session cookie: " + r.headers());
      }
    }

    JsonNode json(String method, String path, String body, int status) throws Exception {
      return readTree(expect(send(method, path, body).get(), status).body());
    }

    CompletableFuture<HttpResponse<String>> send(String method, String path, String body) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(PATIENCE);
      if (cookie != null) {
        b.header("Cookie", "foundry_session=" + cookie);
      }
      if (body != null) {
        b.header("Content-Type", "application/json");
      }
      b.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body));
      return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  private static HttpResponse<String> expect(HttpResponse<String> r, int status) {
    if (r.statusCode() != status) {
      throw new IllegalStateException(
          r.request().method() + " " + r.uri().getPath() + ": " + r.statusCode() + " " + r.body());
    }
    return r;
  }

  // -- helpers ---------------------------------------------------------------------------------

  private long metric(String name) throws Exception {
    String text = rest.send("GET", "/metrics", null).get().body();
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return -1;
  }

  /**
   * Per actor kind, the commands finished ({@code foundry_command_duration_seconds_count}, every
   * outcome) and the batched writes ({@code foundry_command_batch_size_count}) so far.
   */
  private Map<String, double[]> commandCounts() throws Exception {
    String text = rest.send("GET", "/metrics", null).get().body();
    Map<String, double[]> out = new TreeMap<>();
    for (String line : text.split("\n")) {
      int column =
          line.startsWith("foundry_command_duration_seconds_count{")
              ? 0
              : line.startsWith("foundry_command_batch_size_count{") ? 1 : -1;
      int at = line.indexOf("kind=\"");
      if (column < 0 || at < 0) {
        continue;
      }
      String kind = line.substring(at + 6, line.indexOf('"', at + 6));
      double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      out.computeIfAbsent(kind, k -> new double[2])[column] += v;
    }
    return out;
  }

  /**
   * What one creation cost each actor kind between two {@link #commandCounts}: commands, and the
   * batched writes they took (a command outside a batch is a write of its own, or none).
   */
  private static Map<String, Object> perCreation(
      Map<String, double[]> before, Map<String, double[]> after, long creations) {
    Map<String, Object> out = new LinkedHashMap<>();
    after.forEach(
        (kind, now) -> {
          double[] then = before.getOrDefault(kind, new double[2]);
          Map<String, Object> k = new LinkedHashMap<>();
          k.put("commands", round((now[0] - then[0]) / creations));
          k.put("batchedWrites", round((now[1] - then[1]) / creations));
          out.put(kind, k);
        });
    return out;
  }

  /**
   * The organization's batched writes so far ({@code foundry_command_batch_size}): their count and
   * the commands they held.
   */
  private double[] organizationBatches() throws Exception {
    String text = rest.send("GET", "/metrics", null).get().body();
    double[] out = new double[2];
    for (String line : text.split("\n")) {
      if (line.contains("kind=\"organization\"")) {
        double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        if (line.startsWith("foundry_command_batch_size_count{")) {
          out[0] = v;
        } else if (line.startsWith("foundry_command_batch_size_sum{")) {
          out[1] = v;
        }
      }
    }
    return out;
  }

  private static Map<String, Object> percentiles(List<Long> nanos) {
    long[] sorted = nanos.stream().mapToLong(x -> x).sorted().toArray();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p50", round(pct(sorted, 0.50)));
    m.put("p99", round(pct(sorted, 0.99)));
    m.put("max", round(pct(sorted, 1.0)));
    m.put("n", sorted.length);
    return m;
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static JsonNode readTree(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new IllegalStateException("not JSON: " + text, e);
    }
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
  }

  private static void log(String s) {
    // The JVM's uptime, as -XX:+PrintCompilation and GC logs count it, to place a level in them.
    long ms = ManagementFactory.getRuntimeMXBean().getUptime();
    System.err.println("[bench http " + ms + " ms] " + s);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
