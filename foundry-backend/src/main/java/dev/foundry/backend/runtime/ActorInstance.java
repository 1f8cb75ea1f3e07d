package dev.foundry.backend.runtime;

import dev.foundry.backend.runtime.json.JsonTypes;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * What the parts of one running durable actor share ({@link DurableBehavior} and the parts it
 * delegates to): its kind and key, its Pekko context and timers, the product actor and its
 * handlers, its SQLite file and tables (opened on first use, closed when the actor stops), and its
 * entry in the pending-work list. Confined to the actor, like the behavior.
 */
final class ActorInstance<
    C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>> {
  final ActorKind<C, E, T> kind;
  final ActorKey key;
  final ActorContext<ActorMessage> context;
  final TimerScheduler<ActorMessage> timers;
  final RuntimeSettings settings;
  final JsonTypes json;
  final DurableRuntime runtime;
  final DurableActor<C, E, T> actor;
  final Handlers<C, T> handlers = new Handlers<>();
  private final PendingWork pendingWork;
  private final String persistenceId;

  private ActorDatabase database;
  private T tables;
  private boolean listedAsPending;

  ActorInstance(
      ActorKind<C, E, T> kind,
      ActorKey key,
      ActorContext<ActorMessage> context,
      TimerScheduler<ActorMessage> timers,
      DurableRuntime runtime,
      RuntimeSettings settings) {
    this.kind = kind;
    this.key = key;
    this.context = context;
    this.timers = timers;
    this.settings = settings;
    this.json = JsonTypes.get(context.getSystem());
    this.pendingWork = runtime.pendingWork();
    this.runtime = runtime;
    this.persistenceId = kind.persistenceId(key);
    this.actor =
        kind.create(
            new ActorSetup<>(
                kind.name(),
                key,
                this::tables,
                runtime,
                context.getExecutionContext(),
                runtime.hub(),
                context.getLog()));
    actor.handlers(handlers);
  }

  // --- storage -------------------------------------------------------------------------------

  /** Set when the file turned out to be ahead of the journal; commands are then refused. */
  private ActorDivergedException diverged;

  void diverged(ActorDivergedException reason) {
    this.diverged = reason;
  }

  ActorDivergedException divergedOrNull() {
    return diverged;
  }

  Path databaseFile() {
    return new ActorFiles(settings.dataDir()).databaseFile(kind.name(), key);
  }

  Path backupFile() {
    return new ActorFiles(settings.dataDir()).backupFile(kind.name(), key);
  }

  String persistenceId() {
    return persistenceId;
  }

  /**
   * The position the latest durable backup of the file covers; -1 while there is none. Written by
   * the backup thread, hence volatile.
   */
  private volatile long backedUpTo = -1;

  long backedUpTo() {
    return backedUpTo;
  }

  void backedUp(long seqNr) {
    backedUpTo = seqNr;
  }

  ActorDatabase database() {
    if (database == null) {
      database = ActorDatabase.open(databaseFile(), kind.migrations());
      try {
        database.pruneExecuted(now());
      } catch (SQLException e) {
        // Only the dedup memory grows; the actor works on.
        context.getLog().warn("{} {}: cannot prune executed command ids", kind.name(), key, e);
      }
    }
    return database;
  }

  /** The database if it is open; null otherwise (does not open it). */
  ActorDatabase databaseIfOpen() {
    return database;
  }

  T tables() {
    if (tables == null) {
      ActorDatabase db = database();
      tables = kind.openTables(db.connection());
      tables.watchChanges(db::changes);
    }
    return tables;
  }

  /** The file was replaced (restored from a snapshot): the tables open again on next use. */
  void reopenTables() {
    tables = null;
  }

  void closeDatabase() {
    if (database != null) {
      database.close();
      database = null;
      tables = null;
    }
  }

  // --- pending work --------------------------------------------------------------------------

  private static final String UNLIST_TIMER = "unlist";

  /** Since when nothing is pending while the listing is kept; 0 while not so. */
  private long settledSinceNanos;

  /** At recovery: an actor with accepted commands is listed (marked before they were written). */
  void listedAsPending(boolean listed) {
    listedAsPending = listed;
  }

  /** Whether this activation knows the actor to be listed for waking at start. */
  boolean listedAsPending() {
    return listedAsPending;
  }

  /** Lists the actor before work that a restart must resume is written (a no-op while listed). */
  void markPendingWork() {
    settledSinceNanos = 0;
    if (!listedAsPending) {
      pendingWork.mark(persistenceId, kind.name(), key);
      listedAsPending = true;
    }
  }

  /** Cleared now (at recovery, or stopping): nothing is queued, undelivered or in flight. */
  void clearPendingWork() {
    settledSinceNanos = 0;
    if (wakeAtStart()) {
      markPendingWork(); // it stays listed (and is listed, if it was woken otherwise)
      return;
    }
    pendingWork.clear(persistenceId);
    listedAsPending = false;
  }

  /**
   * Nothing is queued, undelivered or in flight any more: the listing is cleared once that has
   * lasted {@code unlist-after} (2 s by default) ({@link #unlistIfStillSettled}) or when the actor
   * stops. Clearing at once cost a listing (a synced write, or a PostgreSQL round trip in cluster
   * mode) and its clearing for every change of a busy actor, on its own thread; a listing kept a
   * moment longer only costs one activation after a crash.
   */
  void settled() {
    if (!listedAsPending || settledSinceNanos != 0) {
      return;
    }
    settledSinceNanos = System.nanoTime();
    if (!timers.isTimerActive(UNLIST_TIMER)) {
      timers.startSingleTimer(UNLIST_TIMER, ActorMessage.Unlist.INSTANCE, settings.unlistAfter());
    }
  }

  /**
   * Clears the listing if the actor has stayed settled for {@code unlist-after} (2 s by default);
   * else waits.
   */
  void unlistIfStillSettled() {
    if (settledSinceNanos == 0 || !listedAsPending) {
      return;
    }
    long left = settings.unlistAfter().toNanos() - (System.nanoTime() - settledSinceNanos);
    if (left > 0) {
      timers.startSingleTimer(UNLIST_TIMER, ActorMessage.Unlist.INSTANCE, Duration.ofNanos(left));
      return;
    }
    clearPendingWork();
  }

  /** Whether the actor is settled and listed: stopping now clears the listing. */
  boolean settledButListed() {
    return settledSinceNanos != 0 && listedAsPending;
  }

  /**
   * The actor's {@link DurableActor#wakeAtStart}, read from its tables (opened if need be: an actor
   * woken at start whose replay applied nothing has not opened them yet, and answering "no" then
   * would unlist it while its work is still outside its queue). True when it cannot be read: a
   * listing too many costs one activation, one too few loses the wake-up.
   */
  boolean wakeAtStart() {
    try {
      return actor.wakeAtStart(tables());
    } catch (RuntimeException e) {
      context.getLog().warn("{} {}: cannot tell whether to wake at start", kind.name(), key, e);
      return true;
    }
  }

  /** Wall-clock milliseconds, as journal events and failed-command rows record them. */
  static long now() {
    return System.currentTimeMillis();
  }
}
