package dev.foundry.backend.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.persistence.JournalDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A real runtime on a real data directory (journal and actor files on disk), restartable on the
 * same directory the way a process restarts. The production configuration files are used as they
 * are; only the data directory and runtime timings are overridden.
 */
public final class RuntimeFixture implements AutoCloseable {
  private final Path dataDir;
  private final Duration passivateAfter;
  private final int snapshotEvery;
  private final List<ActorKind<?, ?, ?>> kinds;
  private final Map<String, Object> journal;
  private int maxActiveActors = 2000;
  private int maxQueuedPerActor = RuntimeSettings.DEFAULT_MAX_QUEUED_PER_ACTOR;
  private Duration ioTimeout = RuntimeSettings.DEFAULT_IO_TIMEOUT;
  private RuntimeMetrics metrics = RuntimeMetrics.NONE;
  private ActorSystem<Void> system;
  private DurableRuntime runtime;
  private final RealtimeHub hub = new RealtimeHub();

  public RuntimeFixture(
      Path dataDir, Duration passivateAfter, int snapshotEvery, List<ActorKind<?, ?, ?>> kinds) {
    this(dataDir, passivateAfter, snapshotEvery, kinds, Map.of());
  }

  /**
   * Like the constructor above, with {@code journal} settings added to the configuration (e.g.
   * {@code PostgresServer.config(database)}: the journal on PostgreSQL); empty: the SQLite file.
   */
  public RuntimeFixture(
      Path dataDir,
      Duration passivateAfter,
      int snapshotEvery,
      List<ActorKind<?, ?, ?>> kinds,
      Map<String, Object> journal) {
    this.dataDir = dataDir;
    this.passivateAfter = passivateAfter;
    this.snapshotEvery = snapshotEvery;
    this.kinds = kinds;
    this.journal = journal;
    start();
  }

  public RuntimeFixture(Path dataDir, List<ActorKind<?, ?, ?>> kinds) {
    this(dataDir, Duration.ofMinutes(5), 500, kinds);
  }

  public static Config config(Path dataDir, Duration passivateAfter, int snapshotEvery) {
    return config(dataDir, passivateAfter, snapshotEvery, Map.of());
  }

  public static Config config(
      Path dataDir, Duration passivateAfter, int snapshotEvery, Map<String, Object> journal) {
    Map<String, Object> settings = new java.util.HashMap<>(journal);
    settings.put("foundry.data-dir", dataDir.toString());
    settings.put("foundry.runtime.passivate-after", passivateAfter.toMillis() + "ms");
    settings.put("foundry.runtime.snapshot-every", snapshotEvery);
    settings.put("pekko.loglevel", "WARNING");
    return FoundryConfig.load(Map.of(), ConfigFactory.parseMap(settings));
  }

  private void start() {
    start(system -> {});
  }

  private void start(java.util.function.Consumer<ActorSystem<Void>> beforeRuntime) {
    Config config = config(dataDir, passivateAfter, snapshotEvery, journal);
    JournalDatabase.prepareConfigured(config);
    system = ActorSystem.create(Behaviors.empty(), "test", config);
    beforeRuntime.accept(system);
    runtime =
        DurableRuntime.start(
            system,
            new RuntimeSettings(
                dataDir,
                passivateAfter,
                Duration.ofSeconds(10),
                snapshotEvery,
                maxActiveActors,
                maxQueuedPerActor,
                ioTimeout),
            hub,
            kinds,
            metrics);
  }

  /** Restarts with at most {@code max} calls outstanding per actor. */
  public RuntimeFixture withMaxQueuedPerActor(int max) {
    this.maxQueuedPerActor = max;
    restart();
    return this;
  }

  /** Restarts with {@code timeout} as the runtime's deadline on a command's I/O. */
  public RuntimeFixture withIoTimeout(Duration timeout) {
    this.ioTimeout = timeout;
    restart();
    return this;
  }

  /** Restarts reporting the runtime's commands to {@code metrics}. */
  public RuntimeFixture withMetrics(RuntimeMetrics metrics) {
    this.metrics = metrics;
    restart();
    return this;
  }

  /** Restarts with at most {@code max} active actor instances. */
  public RuntimeFixture withMaxActiveActors(int max) {
    this.maxActiveActors = max;
    restart();
    return this;
  }

  public DurableRuntime runtime() {
    return runtime;
  }

  public RealtimeHub hub() {
    return hub;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Stops the actor system and starts a new one on the same data directory. */
  public void restart() {
    restart(system -> {});
  }

  /**
   * Like {@link #restart()}, with {@code beforeRuntime} run on the new actor system before the
   * runtime starts (and wakes the actors with pending work): where a backend configures its
   * extensions.
   */
  public void restart(java.util.function.Consumer<ActorSystem<Void>> beforeRuntime) {
    stop();
    start(beforeRuntime);
  }

  private void stop() {
    system.terminate();
    await(system.getWhenTerminated());
  }

  @Override
  public void close() {
    stop();
  }

  public static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }
}
