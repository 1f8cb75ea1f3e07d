package dev.foundry.backend.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.persistence.CommitCountingSqliteDriver;
import dev.foundry.backend.persistence.JournalDatabase;
import java.io.IOException;
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
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * Durable persists per second through the configured journal (persistence.conf): N actors, each
 * with one ask in flight, each ask = one persisted 200-byte event, acknowledged after the commit.
 * Prints progress on stderr and one JSON object as the last line on stdout.
 *
 * <p>Options: {@code --actors 1,100} {@code --seconds 10} {@code --warmup 3} {@code --dir
 * target/journal-bench} (a fresh journal under it per level; deleted afterwards) {@code --set
 * path=value} (any HOCON override, repeatable, e.g. {@code --set jdbc-journal.parallelism=8})
 * {@code --no-hooks} (do not count SQLite commits).
 */
public final class JournalBenchmark {
  private static final int EVENT_BYTES = 200;

  private JournalBenchmark() {}

  /** The tiniest event-sourced actor: persists what it is given, replies with its count. */
  static final class Counter extends EventSourcedBehavior<Counter.Persist, String, Long> {
    record Persist(String event, ActorRef<Long> replyTo) {}

    Counter(String id) {
      super(PersistenceId.ofUniqueId(id));
    }

    @Override
    public Long emptyState() {
      return 0L;
    }

    @Override
    public CommandHandler<Persist, String, Long> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onAnyCommand(
              (state, cmd) -> Effect().persist(cmd.event()).thenReply(cmd.replyTo(), s -> s));
    }

    @Override
    public EventHandler<Long, String> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state + 1);
    }
  }

  record Level(
      int actors,
      long persists,
      double perSec,
      double p50Ms,
      double p99Ms,
      double maxMs,
      double cpuMicrosPerPersist,
      double coresBusy,
      CommitCountingSqliteDriver.Counts counts) {}

  public static void main(String[] args) throws Exception {
    List<Integer> levels = List.of(1, 100);
    int seconds = 10;
    int warmup = 3;
    Path dir = Path.of("target", "journal-bench");
    boolean hooks = true;
    StringBuilder overrides = new StringBuilder();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--actors" ->
            levels = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        case "--set" -> overrides.append(args[++i]).append('\n');
        case "--no-hooks" -> hooks = false;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (hooks) {
      overrides
          .append("pekko-persistence-jdbc.shared-databases.foundry.db.driver = ")
          .append(ConfigUtil.quoteString(CommitCountingSqliteDriver.class.getName()))
          .append('\n');
    }

    Map<Integer, Level> results = new LinkedHashMap<>();
    Config shown = null;
    for (int actors : levels) {
      Path dataDir = Files.createDirectories(dir).resolve("run-" + System.nanoTime());
      Config config =
          FoundryConfig.load(
              System.getenv(),
              ConfigFactory.parseString(overrides.toString())
                  .withFallback(
                      ConfigFactory.parseString(
                          "foundry.data-dir = "
                              + ConfigUtil.quoteString(dataDir.toString())
                              + "\npekko.loglevel = WARNING")));
      shown = config;
      JournalDatabase.prepare(config);
      try {
        Level level = run(config, actors, warmup, seconds);
        results.put(actors, level);
        System.err.printf(
            Locale.ROOT,
            "%4d actors: %,.0f persists/s, p50 %.2f ms, p99 %.2f ms, max %.1f ms,"
                + " CPU %.0f us/persist (%.2f cores), load %.1f, %s%n",
            actors,
            level.perSec(),
            level.p50Ms(),
            level.p99Ms(),
            level.maxMs(),
            level.cpuMicrosPerPersist(),
            level.coresBusy(),
            loadAverage(),
            level.counts());
      } finally {
        deleteTree(dataDir);
      }
    }
    System.out.println(json(results, shown, seconds, hooks));
  }

  private static Level run(Config config, int actors, int warmupSeconds, int seconds)
      throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "JournalBenchmark", config);
    try {
      Executor executor = system.executionContext();
      List<ActorRef<Counter.Persist>> refs = new ArrayList<>();
      for (int i = 0; i < actors; i++) {
        refs.add(
            system.systemActorOf(
                new Counter("bench-" + i),
                "counter-" + i,
                org.apache.pekko.actor.typed.Props.empty()));
      }
      String event = "x".repeat(EVENT_BYTES);
      Duration timeout = Duration.ofSeconds(30);

      long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
      List<CompletableFuture<Loop>> warm = new ArrayList<>();
      for (ActorRef<Counter.Persist> ref : refs) {
        warm.add(new Loop(system, ref, event, timeout, executor, warmupEnd).start());
      }
      for (CompletableFuture<Loop> f : warm) {
        f.get(120, TimeUnit.SECONDS);
      }

      CommitCountingSqliteDriver.reset();
      long cpuStart = processCpuNanos();
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      List<CompletableFuture<Loop>> loops = new ArrayList<>();
      for (ActorRef<Counter.Persist> ref : refs) {
        loops.add(new Loop(system, ref, event, timeout, executor, end).start());
      }
      List<Loop> done = new ArrayList<>();
      for (CompletableFuture<Loop> f : loops) {
        done.add(f.get(120, TimeUnit.SECONDS));
      }
      long elapsed = System.nanoTime() - start;
      long cpu = processCpuNanos() - cpuStart;
      CommitCountingSqliteDriver.Counts counts = CommitCountingSqliteDriver.counts();

      int total = done.stream().mapToInt(l -> l.count).sum();
      long[] all = new long[total];
      int at = 0;
      for (Loop l : done) {
        System.arraycopy(l.latencies, 0, all, at, l.count);
        at += l.count;
      }
      Arrays.sort(all);
      return new Level(
          actors,
          total,
          total / (elapsed / 1e9),
          percentile(all, 0.50),
          percentile(all, 0.99),
          all.length == 0 ? 0 : all[all.length - 1] / 1e6,
          total == 0 ? 0 : cpu / 1e3 / total,
          (double) cpu / elapsed,
          counts);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** One actor's closed loop: the next ask is sent when the previous one is answered. */
  private static final class Loop {
    private final ActorSystem<?> system;
    private final ActorRef<Counter.Persist> ref;
    private final String event;
    private final Duration timeout;
    private final Executor executor;
    private final long deadline;
    private final CompletableFuture<Loop> done = new CompletableFuture<>();
    long[] latencies = new long[1024];
    int count;

    Loop(
        ActorSystem<?> system,
        ActorRef<Counter.Persist> ref,
        String event,
        Duration timeout,
        Executor executor,
        long deadline) {
      this.system = system;
      this.ref = ref;
      this.event = event;
      this.timeout = timeout;
      this.executor = executor;
      this.deadline = deadline;
    }

    CompletableFuture<Loop> start() {
      next();
      return done;
    }

    private void next() {
      long sent = System.nanoTime();
      if (sent >= deadline) {
        done.complete(this);
        return;
      }
      AskPattern.<Counter.Persist, Long>ask(
              ref, replyTo -> new Counter.Persist(event, replyTo), timeout, system.scheduler())
          .whenCompleteAsync(
              (n, error) -> {
                if (error != null) {
                  done.completeExceptionally(error);
                  return;
                }
                if (count == latencies.length) {
                  latencies = Arrays.copyOf(latencies, count * 2);
                }
                latencies[count++] = System.nanoTime() - sent;
                next();
              },
              executor);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** The 1-minute load average: other processes on this machine skew every number. */
  private static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
  }

  private static String json(
      Map<Integer, Level> results, Config config, int seconds, boolean hooks) {
    StringBuilder out = new StringBuilder("{\"benchmark\":\"journal\"");
    out.append(",\"plugin\":\"pekko-persistence-jdbc 1.1.1 (Slick SQLiteProfile, sqlite-jdbc)\"");
    String db = "pekko-persistence-jdbc.shared-databases.foundry.db.";
    out.append(",\"durability\":\"journal_mode=")
        .append(config.getString(db + "properties.journal_mode"))
        .append(", synchronous=")
        .append(config.getString(db + "properties.synchronous"))
        .append("\"");
    out.append(",\"config\":{\"parallelism\":")
        .append(config.getInt("jdbc-journal.parallelism"))
        .append(",\"batchSize\":")
        .append(config.getInt("jdbc-journal.batchSize"))
        .append(",\"maxConnections\":")
        .append(config.getInt(db + "maxConnections"))
        .append(",\"transactionMode\":\"")
        .append(config.getString(db + "properties.transaction_mode"))
        .append("\"}");
    out.append(",\"eventBytes\":").append(EVENT_BYTES);
    out.append(",\"seconds\":").append(seconds);
    out.append(",\"countedCommits\":").append(hooks);
    out.append(String.format(Locale.ROOT, ",\"loadAverageAtEnd\":%.1f", loadAverage()));
    out.append(",\"cpus\":").append(Runtime.getRuntime().availableProcessors());
    out.append(",\"throughput\":{");
    boolean first = true;
    for (Level l : results.values()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      out.append(
          String.format(
              Locale.ROOT,
              "\"%d\":{\"perSec\":%.0f,\"p50Ms\":%.2f,\"p99Ms\":%.2f,\"maxMs\":%.1f,\"persists\":%d"
                  + ",\"cpuMicrosPerPersist\":%.0f,\"coresBusy\":%.2f",
              l.actors(),
              l.perSec(),
              l.p50Ms(),
              l.p99Ms(),
              l.maxMs(),
              l.persists(),
              l.cpuMicrosPerPersist(),
              l.coresBusy()));
      if (hooks) {
        out.append(
            String.format(
                Locale.ROOT,
                ",\"journalCommits\":%d,\"rowsPerCommit\":%.1f,\"largestCommit\":%d",
                l.counts().journalCommits(),
                l.counts().rowsPerJournalCommit(),
                l.counts().largestJournalCommit()));
      }
      out.append('}');
    }
    out.append("}}");
    return out.toString();
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
