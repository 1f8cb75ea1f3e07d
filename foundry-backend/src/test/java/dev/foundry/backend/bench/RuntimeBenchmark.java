package dev.foundry.backend.bench;

import com.typesafe.config.Config;
import dev.foundry.backend.persistence.JournalDatabase;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.RealtimeHub;
import dev.foundry.backend.runtime.RuntimeFixture;
import dev.foundry.backend.runtime.RuntimeSettings;
import dev.foundry.backend.runtime.todo.TodoList;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * {@code scripts/bench runtime}: durable {@code wait=true} commands through the whole runtime (a
 * {@link TodoList} {@code AddItem}: journal write with synchronous=FULL, per-actor SQLite insert,
 * reply), against a baseline in the same run: the same number of plain Pekko {@code
 * EventSourcedBehavior}s persisting one event per ask on the same journal.
 *
 * <p>Options: {@code --seconds N} per level (default 5), {@code --levels 1,10,100,1000}.
 *
 * <p>{@code --large-actor-mb N} runs another measurement instead: one actor whose SQLite file holds
 * N MB against a small actor in the same run, each alone with one command in flight, at the
 * production snapshot and backup settings (a snapshot every 500 events, a backup every 5,000), with
 * the heap after a full GC before and after each.
 */
public final class RuntimeBenchmark {
  private static final String TEXT = "x".repeat(160);

  private RuntimeBenchmark() {}

  public static void main(String[] args) throws Exception {
    int seconds = 5;
    int[] levels = {1, 10, 100, 1000};
    int largeActorMb = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--large-actor-mb" -> largeActorMb = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--levels" ->
            levels = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (largeActorMb > 0) {
      Path dir = Files.createTempDirectory("foundry-large-actor-bench");
      try {
        System.out.println(toJson(LargeActor.run(dir, largeActorMb, seconds)));
      } finally {
        deleteTree(dir);
      }
      return;
    }
    Path root = Files.createTempDirectory("foundry-runtime-bench");
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("suite", "runtime");
    result.put("durability", "synchronous=FULL (journal), synchronous=NORMAL (actor files)");
    try {
      Bench bench = new Bench(root.resolve("main"), Duration.ofMinutes(10));
      try {
        log("warming up");
        closedLoop(bench.runtime, "warm", 50, 3);
        log("round trips to one actor");
        Level one = closedLoop(bench.runtime, "rt", 1, seconds);
        result.put("roundtripsPerSec", round(one.perSec));
        Map<String, Object> throughput = new LinkedHashMap<>();
        Map<String, Object> baseline = new LinkedHashMap<>();
        for (int n : levels) {
          log("runtime, " + n + " actors");
          throughput.put(String.valueOf(n), closedLoop(bench.runtime, "t" + n, n, seconds).json());
          log("baseline (plain EventSourcedBehavior), " + n + " actors");
          baseline.put(String.valueOf(n), baselineLoop(bench.system, "b" + n, n, seconds).json());
        }
        result.put("throughput", throughput);
        result.put("baselinePlainPekkoPersist", baseline);
        log("cold activation");
        result.put("coldActivationMsMedian", coldActivation(bench.runtime, 300));
      } finally {
        bench.close();
      }
      // On a fresh runtime: earlier levels' actors would otherwise be passivated by the active
      // cap during the measurement and make the difference meaningless.
      Bench active = new Bench(root.resolve("active"), Duration.ofMinutes(10));
      try {
        log("heap per 1000 active actors");
        result.put("heapMbPer1000Active", heapPer1000Active(active.runtime));
        result.put("activeActorsAfterHeapRun", await(active.runtime.activeCount()));
      } finally {
        active.close();
      }
      Bench passivating = new Bench(root.resolve("idle"), Duration.ofSeconds(1));
      try {
        log("heap per 1000 idle (passivated) actors, 10,000 created");
        Map<String, Object> idle = heapPerIdle(passivating.runtime, 10_000);
        result.putAll(idle);
      } finally {
        passivating.close();
      }
    } finally {
      deleteTree(root);
    }
    result.put("maxHeapMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    System.out.println(toJson(result));
  }

  /** A runtime with its own actor system on its own data directory. */
  static final class Bench {
    final ActorSystem<Void> system;
    final DurableRuntime runtime;

    Bench(Path dir, Duration passivateAfter) {
      this(dir, new RuntimeSettings(dir, passivateAfter, Duration.ofSeconds(30), 1000));
    }

    Bench(Path dir, RuntimeSettings settings) {
      Config config =
          RuntimeFixture.config(dir, settings.passivateAfter(), settings.snapshotEvery());
      JournalDatabase.prepare(config);
      system = ActorSystem.create(Behaviors.empty(), "bench", config);
      runtime = DurableRuntime.start(system, settings, new RealtimeHub(), List.of(TodoList.KIND));
    }

    void close() throws Exception {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  record Level(double perSec, double p50Ms, double p99Ms, long ops) {
    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("perSec", round(perSec));
      m.put("p50Ms", round(p50Ms));
      m.put("p99Ms", round(p99Ms));
      m.put("ops", ops);
      return m;
    }
  }

  /** {@code actors} loops, each with exactly one {@code wait=true} command in flight. */
  static Level closedLoop(DurableRuntime runtime, String prefix, int actors, int seconds)
      throws Exception {
    List<DurableRef<TodoList.Command<?>>> refs = new ArrayList<>();
    for (int i = 0; i < actors; i++) {
      refs.add(runtime.getOrCreate(TodoList.KIND.type(), TodoList.key(prefix + "-" + i)));
    }
    return measure(
        actors, seconds, i -> refs.get(i).ask(new TodoList.AddItem(TEXT)).thenApply(x -> null));
  }

  private static Level baselineLoop(
      ActorSystem<Void> system, String prefix, int actors, int seconds) throws Exception {
    List<ActorRef<JournalBenchmark.Counter.Persist>> refs = new ArrayList<>();
    for (int i = 0; i < actors; i++) {
      refs.add(
          system.systemActorOf(
              new JournalBenchmark.Counter(prefix + "-" + i),
              prefix + "-" + i,
              org.apache.pekko.actor.typed.Props.empty()));
    }
    String event = "e".repeat(200);
    return measure(
        actors,
        seconds,
        i ->
            AskPattern.<JournalBenchmark.Counter.Persist, Long>ask(
                    refs.get(i),
                    replyTo -> new JournalBenchmark.Counter.Persist(event, replyTo),
                    Duration.ofSeconds(30),
                    system.scheduler())
                .thenApply(x -> null));
  }

  interface Op {
    CompletionStage<Void> run(int loop);
  }

  static Level measure(int loops, int seconds, Op op) throws Exception {
    // "Loaded": every actor is activated (recovered, its file open) before the clock starts, so
    // the level measures throughput, not activation (cold activation is measured on its own).
    List<CompletableFuture<Void>> warm = new ArrayList<>();
    for (int i = 0; i < loops; i++) {
      warm.add(op.run(i).toCompletableFuture());
    }
    for (CompletableFuture<Void> w : warm) {
      w.get(300, TimeUnit.SECONDS);
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Samples> latencies = new ArrayList<>();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < loops; i++) {
      Samples samples = new Samples();
      latencies.add(samples);
      CompletableFuture<Void> finished = new CompletableFuture<>();
      done.add(finished);
      loop(op, i, end, samples, finished);
    }
    long count = 0;
    for (CompletableFuture<Void> f : done) {
      f.get(seconds + 120L, TimeUnit.SECONDS);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] sorted = latencies.stream().flatMapToLong(Samples::stream).sorted().toArray();
    count = sorted.length;
    return new Level(count / elapsed, pct(sorted, 0.50), pct(sorted, 0.99), count);
  }

  /** Latencies of one loop; grows as needed (1,000 loops must not preallocate gigabytes). */
  private static final class Samples {
    long[] values = new long[256];
    int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    java.util.stream.LongStream stream() {
      return Arrays.stream(values, 0, size);
    }
  }

  private static void loop(
      Op op, int i, long end, Samples samples, CompletableFuture<Void> finished) {
    if (System.nanoTime() >= end) {
      finished.complete(null);
      return;
    }
    long t0 = System.nanoTime();
    op.run(i)
        .whenComplete(
            (v, failure) -> {
              if (failure != null) {
                finished.completeExceptionally(failure);
                return;
              }
              samples.add(System.nanoTime() - t0);
              loop(op, i, end, samples, finished);
            });
  }

  private static double coldActivation(DurableRuntime runtime, int actors) {
    long[] ms = new long[actors];
    for (int i = 0; i < actors; i++) {
      long t0 = System.nanoTime();
      await(
          runtime
              .getOrCreate(TodoList.KIND.type(), TodoList.key("cold-" + i))
              .ask(new TodoList.AddItem("first")));
      ms[i] = System.nanoTime() - t0;
    }
    Arrays.sort(ms);
    return round(ms[actors / 2] / 1e6);
  }

  private static double heapPer1000Active(DurableRuntime runtime) {
    long before = usedHeap();
    List<CompletableFuture<Long>> all = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      all.add(
          runtime
              .getOrCreate(TodoList.KIND.type(), TodoList.key("active-" + i))
              .ask(new TodoList.AddItem("hello"))
              .toCompletableFuture());
    }
    all.forEach(RuntimeBenchmark::await);
    long after = usedHeap();
    return round((after - before) / (1024.0 * 1024.0));
  }

  private static Map<String, Object> heapPerIdle(DurableRuntime runtime, int total)
      throws Exception {
    long before = usedHeap();
    int batch = 200;
    long t0 = System.nanoTime();
    for (int start = 0; start < total; start += batch) {
      List<CompletableFuture<Long>> all = new ArrayList<>();
      for (int i = start; i < Math.min(total, start + batch); i++) {
        all.add(
            runtime
                .getOrCreate(TodoList.KIND.type(), TodoList.key("idle-" + i))
                .ask(new TodoList.AddItem("hello"))
                .toCompletableFuture());
      }
      all.forEach(RuntimeBenchmark::await);
    }
    double createSeconds = (System.nanoTime() - t0) / 1e9;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (await(runtime.activeCount()) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    int stillActive = await(runtime.activeCount());
    long after = usedHeap();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("actorsCreated", total);
    m.put("createPerSec", round(total / createSeconds));
    m.put("activeAfterPassivation", stillActive);
    m.put("heapMbPer1000Idle", round((after - before) / (1024.0 * 1024.0) / (total / 1000.0)));
    m.put("heapMbAfter10000Created", round(after / (1024.0 * 1024.0)));
    return m;
  }

  static long usedHeap() {
    for (int i = 0; i < 4; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
  }

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
  }

  static void log(String s) {
    System.err.println("[bench runtime] " + s);
  }

  @SuppressWarnings("unchecked")
  static String toJson(Object o) {
    if (o instanceof Map<?, ?> m) {
      return m.entrySet().stream()
          .map(e -> "\"" + e.getKey() + "\":" + toJson(e.getValue()))
          .collect(Collectors.joining(",", "{", "}"));
    }
    if (o instanceof String s) {
      return "\"" + s.replace("\"", "\\\"") + "\"";
    }
    if (o instanceof Double d) {
      return String.format(Locale.ROOT, "%s", d);
    }
    return String.valueOf(o);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
