package dev.foundry.backend.runtime;

import com.typesafe.config.Config;
import dev.foundry.backend.persistence.JournalDatabase;
import dev.foundry.backend.persistence.JournalTrim;
import dev.foundry.backend.persistence.PostgresJournal;
import dev.foundry.backend.persistence.SharedBackups;
import dev.foundry.backend.runtime.json.JsonTypes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;

/**
 * The entry point to durable actors: registers the kinds, then hands out {@link DurableRef}s by
 * kind and key.
 *
 * <p>{@link #getOrCreate} addresses an actor and creates it on its first command; {@link #get}
 * addresses one that must already exist (its calls fail with {@link ActorNotFoundException}
 * otherwise). Existence is durable: it is the first event of the actor's journal.
 */
public final class DurableRuntime {
  /**
   * Where actor instances run ({@code foundry-actor-dispatcher} in runtime.conf): apart from the
   * default dispatcher, because their SQLite writes block on the disk now and then (a WAL file's
   * first write and a checkpoint sync it), and the HTTP server and realtime streams on the default
   * dispatcher should not wait behind them.
   */
  static final DispatcherSelector ACTOR_DISPATCHER =
      DispatcherSelector.fromConfig("foundry-actor-dispatcher");

  private final ActorSystem<?> system;
  private final RuntimeSettings settings;
  private final RealtimeHub hub;
  private final Map<String, ActorKind<?, ?, ?>> kinds = new ConcurrentHashMap<>();
  private final ActorRouting routing;
  private final boolean clustered;
  private final PendingWork pendingWork;
  private final RuntimeMetrics metrics;
  private final StorageHealth storage;
  private final ActorBackups backups;
  private final GatherTimer gatherTimer = new GatherTimer();
  private final SharedBackups sharedBackups;

  private DurableRuntime(
      ActorSystem<?> system,
      RuntimeSettings settings,
      RealtimeHub hub,
      List<ActorKind<?, ?, ?>> kinds,
      RuntimeMetrics metrics) {
    this.system = system;
    this.metrics = metrics;
    this.settings = settings;
    this.hub = hub;
    JsonTypes types = JsonTypes.get(system);
    for (ActorKind<?, ?, ?> kind : kinds) {
      if (this.kinds.putIfAbsent(kind.name(), kind) != null) {
        throw new IllegalArgumentException("two actor kinds named " + kind.name());
      }
      types.register(kind.commandType());
      types.register(kind.eventType());
      kind.migrations(); // fail at start, not at first use, when a kind has no migrations
    }
    this.storage = new StorageHealth(settings.dataDir(), system, this::wakeActorsWithPendingWork);
    Config config = system.settings().config();
    // Cluster mode is Pekko's: the cluster provider (FoundryConfig sets it with the seed nodes).
    this.clustered = "cluster".equals(config.getString("pekko.actor.provider"));
    PostgresJournal shared = null;
    if (PostgresJournal.configured(config)) {
      // Backups go to the journal's database too, and the journal is trimmed there.
      PostgresJournal postgres = PostgresJournal.of(config);
      try (java.sql.Connection first = postgres.connect()) {
        // Opens the pool now: the first backup does not pay for it, and a database that cannot
        // be reached stops the start here.
      } catch (java.sql.SQLException e) {
        postgres.close();
        throw new IllegalStateException(
            "cannot reach the journal database " + postgres.location() + ": " + e.getMessage(), e);
      }
      shared = postgres;
      this.sharedBackups = new SharedBackups(postgres);
      this.backups = new ActorBackups(new JournalTrim(postgres), sharedBackups);
      system.getWhenTerminated().thenRun(postgres::close);
    } else {
      this.sharedBackups = null;
      this.backups = new ActorBackups(journalTrim(config), null);
    }
    system.getWhenTerminated().thenRun(backups::close);
    system.getWhenTerminated().thenRun(gatherTimer::close);
    if (clustered && shared == null) {
      throw new IllegalStateException("cluster mode needs the journal on PostgreSQL");
    }
    this.pendingWork =
        clustered ? new PendingWorkTable(shared) : new PendingWorkFile(settings.dataDir());
    system.getWhenTerminated().thenRun(pendingWork::close);
    this.routing =
        clustered
            ? new ShardedActors(this, settings, this.kinds.values())
            : localActors(system, settings);
    if (clustered) {
      RealtimeRelay.start(system, hub, types.mapper());
      // A node that left or was downed may have had actors with accepted commands: wake them here.
      system.systemActorOf(
          MemberRemovals.wakeOnRemoval(this::wakeActorsWithPendingWork),
          "pending-work-on-member-removed",
          Props.empty());
    }
    wakeActorsWithPendingWork();
  }

  /** Accepted commands resume at start, not when someone next addresses their actor. */
  private void wakeActorsWithPendingWork() {
    for (PendingWork.Entry entry : pendingWork.all()) {
      ActorKind<?, ?, ?> kind = kinds.get(entry.kind());
      if (kind != null) {
        routing.tell(kind, entry.key(), ActorMessage.Wake.INSTANCE);
      }
    }
  }

  /** Calls outstanding per actor ("kind key"), for the bound on each actor's queue. */
  private final ConcurrentHashMap<String, Integer> outstanding = new ConcurrentHashMap<>();

  /** Counts one more call to {@code actor}; false (and nothing counted) when at the bound. */
  boolean admit(String actor) {
    int limit = settings.maxQueuedPerActor();
    boolean[] admitted = {false};
    outstanding.compute(
        actor,
        (k, n) -> {
          int current = n == null ? 0 : n;
          if (current >= limit) {
            return n;
          }
          admitted[0] = true;
          return current + 1;
        });
    return admitted[0];
  }

  void release(String actor) {
    outstanding.computeIfPresent(actor, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Sends an outbox command to the actor it names. */
  CompletionStage<String> deliver(Outbound outbound, String commandId) {
    ActorKind<?, ?, ?> kind = kinds.get(outbound.kind());
    if (kind == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("no actor kind " + outbound.kind() + " in this runtime"));
    }
    return new DurableRef<>(this, kind, new ActorKey(outbound.key()), outbound.create())
        .tell(outbound.command(), commandId);
  }

  /** One node: the registry actor, and the gates that let callers pass it for running actors. */
  private LocalActors localActors(ActorSystem<?> system, RuntimeSettings settings) {
    InstanceGates gates = new InstanceGates();
    return new LocalActors(
        system.systemActorOf(
            ActorRegistry.create(this, settings, gates), "durable-actors", Props.empty()),
        gates,
        system);
  }

  /** Trims the journal file the configuration names; null (no trimming) when it names none. */
  private static JournalTrim journalTrim(Config config) {
    return config.hasPath(JournalDatabase.FILE_SETTING)
        ? new JournalTrim(JournalDatabase.journalFile(config))
        : null;
  }

  ActorBackups backups() {
    return backups;
  }

  GatherTimer gatherTimer() {
    return gatherTimer;
  }

  /** The backups in the journal's PostgreSQL database; null when the journal is the SQLite file. */
  SharedBackups sharedBackups() {
    return sharedBackups;
  }

  PendingWork pendingWork() {
    return pendingWork;
  }

  /** Starts the runtime for {@code kinds}; call once per actor system, before any command. */
  public static DurableRuntime start(
      ActorSystem<?> system,
      RuntimeSettings settings,
      RealtimeHub hub,
      List<ActorKind<?, ?, ?>> kinds) {
    return new DurableRuntime(system, settings, hub, kinds, RuntimeMetrics.NONE);
  }

  /** Starts the runtime and reports its commands to {@code metrics}. */
  public static DurableRuntime start(
      ActorSystem<?> system,
      RuntimeSettings settings,
      RealtimeHub hub,
      List<ActorKind<?, ?, ?>> kinds,
      RuntimeMetrics metrics) {
    return new DurableRuntime(system, settings, hub, kinds, metrics);
  }

  /** The actor of {@code type} under {@code key}, created by its first command. */
  public <C extends DurableCommand<?>> DurableRef<C> getOrCreate(ActorType<C> type, ActorKey key) {
    return new DurableRef<>(this, kindOf(type), key, true);
  }

  /** The actor of {@code type} under {@code key}, which must exist already. */
  public <C extends DurableCommand<?>> DurableRef<C> get(ActorType<C> type, ActorKey key) {
    return new DurableRef<>(this, kindOf(type), key, false);
  }

  /** Whether {@code type} runs here (a deployment may run without, e.g., sandboxes). */
  public boolean runs(ActorType<?> type) {
    ActorKind<?, ?, ?> kind = kinds.get(type.name());
    return kind != null && kind.type().equals(type);
  }

  RuntimeMetrics metrics() {
    return metrics;
  }

  public RealtimeHub hub() {
    return hub;
  }

  /** Whether the data directory takes writes (readiness reads it). */
  public StorageHealth storage() {
    return storage;
  }

  public RuntimeSettings settings() {
    return settings;
  }

  public ActorSystem<?> system() {
    return system;
  }

  /** How many actor instances are running now (not passivated). */
  public CompletionStage<Integer> activeCount() {
    return activeIds().thenApply(List::size);
  }

  /** The running instances as {@code kind|canonical key}. */
  public CompletionStage<List<String>> activeIds() {
    return routing.activeIds();
  }

  /** The cluster's members as this node sees them, and the instances running here. */
  public CompletionStage<ClusterView> clusterView() {
    return ClusterView.of(this);
  }

  /** Whether this runtime runs its actors as Cluster Sharding entities (cluster mode). */
  public boolean clustered() {
    return clustered;
  }

  /** The operator's read of this runtime's actors (the inspector). */
  public RuntimeInspector inspector() {
    return new RuntimeInspector(this, kinds);
  }

  ActorRouting routing() {
    return routing;
  }

  @SuppressWarnings("unchecked")
  private <C extends DurableCommand<?>> ActorKind<C, ?, ?> kindOf(ActorType<C> type) {
    ActorKind<?, ?, ?> kind = kinds.get(type.name());
    if (kind == null || !kind.type().equals(type)) {
      throw new IllegalArgumentException(type + " is not registered with this runtime");
    }
    return (ActorKind<C, ?, ?>) kind;
  }
}
