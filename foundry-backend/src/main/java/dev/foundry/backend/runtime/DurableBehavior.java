package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.ActorInstance.now;

import dev.foundry.backend.runtime.ActorMessage.Accepted;
import dev.foundry.backend.runtime.ActorMessage.Drain;
import dev.foundry.backend.runtime.ActorMessage.Failed;
import dev.foundry.backend.runtime.ActorMessage.Idle;
import dev.foundry.backend.runtime.ActorMessage.InspectFailures;
import dev.foundry.backend.runtime.ActorMessage.IoFinished;
import dev.foundry.backend.runtime.ActorMessage.OutboxRetry;
import dev.foundry.backend.runtime.ActorMessage.OutboxSent;
import dev.foundry.backend.runtime.ActorMessage.Query;
import dev.foundry.backend.runtime.ActorMessage.Reply;
import dev.foundry.backend.runtime.ActorMessage.Stop;
import dev.foundry.backend.runtime.ActorMessage.Submit;
import dev.foundry.backend.runtime.ActorMessage.Succeeded;
import dev.foundry.backend.runtime.ActorMessage.WaitExpired;
import dev.foundry.backend.runtime.RuntimeEvent.ActorCreated;
import dev.foundry.backend.runtime.RuntimeEvent.CommandAccepted;
import dev.foundry.backend.runtime.RuntimeEvent.CommandCompleted;
import dev.foundry.backend.runtime.RuntimeEvent.CommandExecuted;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The durable command queue of one actor instance, on Pekko Persistence (DESIGN.md §4).
 *
 * <p>The fast path: an idle actor decides a command before persisting anything, stages its events
 * in an open SQLite transaction, persists acceptance + events + completion as one journal event,
 * commits SQLite, and replies. Otherwise the command is persisted as accepted (acknowledged to a
 * {@code wait=false} caller), queued, and decided when it reaches the head; I/O runs off the actor
 * and its result is decided on the actor again.
 *
 * <p>This class is the face Pekko sees: command dispatch, the fast and the queued path, the I/O
 * continuation and passivation. It delegates the rest: {@link Recovery} (snapshots, the event
 * handler, resuming after recovery), {@link CommandStaging} (deciding, staging in SQLite before the
 * journal write, committing after it), {@link Outbox} (durable tells), {@link Waiters} (callers
 * waiting for a result) and {@link ActorQueries} (reads); {@link ActorInstance} holds what they
 * share.
 */
final class DurableBehavior<
        C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>>
    extends EventSourcedBehavior<ActorMessage, RuntimeEvent, QueueState> {

  private final ActorKind<C, E, T> kind;
  private final ActorKey key;
  private final ActorContext<ActorMessage> context;
  private final RuntimeSettings settings;
  private final ActorRegistry.Passivation passivation;
  private final DurableRuntime runtime;
  private final ActorInstance<C, E, T> instance;

  /** The caller whose command's journal write is on its way; null between writes. */
  private Submit persistingFor;

  /** The callers of a batch whose journal write is on its way; empty between writes. */
  private List<Submit> persistingBatch = List.of();

  /**
   * Commands wait in Pekko's user stash behind a buffered batch (one that is not batchable came
   * after it): until the batch is written, every command goes there too, keeping arrival order.
   */
  private boolean stashingBehindBatch;

  private final Waiters waiters;
  private final ActorQueries<C, E, T> queries;
  private final Outbox<C, E, T> outbox;
  private final CommandStaging<C, E, T> staging;
  private final Recovery<C, E, T> recovery;
  private final CommandBatch<C, E, T> batch;

  /**
   * The buffered batch waits for its gather window ({@link Handlers#batch(Class, Duration,
   * Handlers.BatchHandler)}): the runtime's {@link GatherTimer} ends it with {@code GatherEnded}.
   */
  private boolean gathering;

  /** Numbers the gather windows, so the end of one cut short is told from the current one. */
  private long gatherWindow;

  private ScheduledFuture<?> gatherEnd;

  /** The head command's I/O is running; the queue waits, queries do not. */
  private boolean ioInFlight;

  /** Numbers the I/O stages started in this activation (see {@link IoFinished}). */
  private long ioStage;

  private static final String IO_DEADLINE = "io-deadline";

  private long lastActivityNanos = System.nanoTime();

  /** How long a stop that cannot be refused waits for the command at hand (see stopWhenSettled). */
  private static final Duration STOP_PATIENCE = Duration.ofSeconds(10);

  private static final Duration STOP_RECHECK = Duration.ofMillis(50);

  /** When a stop that cannot be refused first arrived; 0: none. */
  private long stopAskedAtNanos;

  /** How long a handoff waits for the backup it started (see handingOff). */
  private static final Duration HANDOFF_BACKUP_PATIENCE = Duration.ofSeconds(30);

  private boolean passivationRequested;
  private boolean handoffBackupStarted;

  static <C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>>
      Behavior<ActorMessage> create(
          ActorKind<C, E, T> kind,
          ActorKey key,
          DurableRuntime runtime,
          RuntimeSettings settings,
          ActorRegistry.Passivation passivation) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  // A periodic check instead of a receive timeout: a receive timeout reschedules
                  // a scheduler task on every message, which costs more than the check.
                  Duration every = settings.passivateAfter().dividedBy(4);
                  timers.startTimerWithFixedDelay(
                      "passivation-check",
                      Idle.INSTANCE,
                      every.isZero() ? Duration.ofMillis(1) : every);
                  return new DurableBehavior<>(
                      kind, key, context, timers, runtime, settings, passivation);
                }));
  }

  private DurableBehavior(
      ActorKind<C, E, T> kind,
      ActorKey key,
      ActorContext<ActorMessage> context,
      TimerScheduler<ActorMessage> timers,
      DurableRuntime runtime,
      RuntimeSettings settings,
      ActorRegistry.Passivation passivation) {
    super(PersistenceId.ofUniqueId(kind.persistenceId(key)));
    this.kind = kind;
    this.key = key;
    this.context = context;
    this.settings = settings;
    this.passivation = passivation;
    this.runtime = runtime;
    this.instance = new ActorInstance<>(kind, key, context, timers, runtime, settings);
    this.waiters = new Waiters(timers);
    this.queries = new ActorQueries<>(instance);
    this.outbox = new Outbox<>(instance);
    this.staging = new CommandStaging<>(instance, outbox, queries);
    this.recovery = new Recovery<>(instance, outbox, queries);
    this.batch = new CommandBatch<>(staging);
  }

  // --- Pekko Persistence ---------------------------------------------------------------------

  @Override
  public QueueState emptyState() {
    return new QueueState();
  }

  // No retention criteria: events and snapshots are deleted only below what a durable backup of
  // the file covers (ActorBackups), not by count.

  @Override
  public boolean shouldSnapshot(QueueState state, RuntimeEvent event, long sequenceNr) {
    return recovery.snapshotAt(sequenceNr);
  }

  @Override
  public org.apache.pekko.persistence.typed.javadsl.Recovery recovery() {
    return recovery.strategy();
  }

  @Override
  public SnapshotAdapter<QueueState> snapshotAdapter() {
    return recovery.snapshotAdapter();
  }

  @Override
  public SignalHandler<QueueState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), recovery::completed)
        .onSignal(
            SnapshotCompleted.class,
            (state, done) ->
                instance
                    .runtime
                    .backups()
                    .trimAfterSnapshot(instance.persistenceId(), instance.backedUpTo()))
        .onSignal(PostStop.instance(), this::stopped)
        .build();
  }

  @Override
  public EventHandler<QueueState, RuntimeEvent> eventHandler() {
    return recovery::applyEvent;
  }

  // --- commands ------------------------------------------------------------------------------

  @Override
  public CommandHandler<ActorMessage, RuntimeEvent, QueueState> commandHandler() {
    return (state, message) -> {
      if (message != Idle.INSTANCE
          && message != ActorMessage.Unlist.INSTANCE
          && message != ActorMessage.OutboxDeletes.INSTANCE) {
        lastActivityNanos = System.nanoTime();
      }
      if (message instanceof Submit submit) {
        return onSubmit(state, submit);
      } else if (message instanceof Query query) {
        return onQuery(state, query);
      } else if (message == ActorMessage.FlushBatch.INSTANCE) {
        gathering = false;
        batch.flushArrived();
        return flushBatch(state);
      } else if (message instanceof ActorMessage.GatherEnded ended) {
        if (!gathering || ended.window() != gatherWindow) {
          return Effect().none(); // that window was cut short; its batch is decided
        }
        gathering = false;
        batch.flushArrived();
        return flushBatch(state);
      } else if (message == Drain.INSTANCE) {
        return onDrain(state);
      } else if (message instanceof IoFinished finished) {
        return onIoFinished(state, finished);
      } else if (message instanceof WaitExpired expired) {
        waiters.expired(expired);
        return Effect().none();
      } else if (message instanceof InspectFailures inspect) {
        queries.inspectFailures(state, inspect);
        return Effect().none();
      } else if (message instanceof ActorMessage.Inspect inspect) {
        queries.inspect(state, inspect);
        return Effect().none();
      } else if (message instanceof ActorMessage.DiscardFailure discard) {
        queries.discardFailure(state, discard);
        return Effect().none();
      } else if (message == Idle.INSTANCE) {
        long idleFor = System.nanoTime() - lastActivityNanos;
        if (idleFor >= settings.passivateAfter().toNanos() && isIdle(state)) {
          requestPassivation();
        }
        return Effect().none();
      } else if (message == ActorMessage.Unlist.INSTANCE) {
        if (state.pending.isEmpty() && outbox.isEmpty()) {
          instance.unlistIfStillSettled();
        }
        return Effect().none();
      } else if (message instanceof OutboxSent sent) {
        outbox.onSent(state, sent);
        return Effect().none();
      } else if (message == OutboxRetry.INSTANCE) {
        outbox.deliver();
        return Effect().none();
      } else if (message == ActorMessage.OutboxDeletes.INSTANCE) {
        if (!outbox.deleteAcknowledged()) {
          outbox.scheduleDeletes();
        } else if (state.pending.isEmpty() && outbox.isEmpty()) {
          instance.settled();
        }
        return Effect().none();
      } else if (message == ActorMessage.Activate.INSTANCE) {
        return Effect().none(); // recovered: what it was sent for
      } else if (message == ActorMessage.Wake.INSTANCE) {
        if (!state.created) {
          requestPassivation();
        }
        return Effect().none();
      } else if (message == Stop.INSTANCE) {
        if (!passivation.cancellable()) {
          return stopWhenSettled(state);
        }
        if (isIdle(state)) {
          return Effect().stop();
        }
        // Work arrived after the passivation request: stay, and have the registry deliver what
        // it buffered meanwhile.
        passivation.cancel().run();
        context.getSelf().tell(Drain.INSTANCE);
        return Effect().none();
      }
      throw new IllegalArgumentException("unexpected message " + message);
    };
  }

  private boolean executedBefore(String commandId) {
    try {
      return instance.database().executed(commandId);
    } catch (SQLException e) {
      // Unknown: take the command; the journal write that follows fails too if the file is gone.
      context.getLog().warn("{} {}: cannot read executed command ids", kind.name(), key, e);
      return false;
    }
  }

  /**
   * Under Cluster Sharding a stop cannot be refused (sharding buffers this instance's messages
   * until it stopped, and a shard handed off to another node must stop its entities): stop once no
   * command is mid-way here, looking again every {@link #STOP_RECHECK}; past {@link #STOP_PATIENCE}
   * stop anyway. What is left is durable: accepted commands resume on the next incarnation (their
   * I/O is redone, as after a crash), the outbox is redelivered.
   */
  private Effect<RuntimeEvent, QueueState> stopWhenSettled(QueueState state) {
    boolean settled =
        state.pending.isEmpty() && !ioInFlight && batch.isEmpty() && !stashingBehindBatch;
    long now = System.nanoTime();
    if (stopAskedAtNanos == 0) {
      stopAskedAtNanos = now;
    }
    long waited = now - stopAskedAtNanos;
    if (settled
        && handingOff()
        && waited < HANDOFF_BACKUP_PATIENCE.toNanos()
        && freshBackupOnItsWay(state)) {
      instance.timers.startSingleTimer("stop-when-settled", Stop.INSTANCE, STOP_RECHECK);
      return Effect().none();
    }
    if (settled || waited >= STOP_PATIENCE.toNanos()) {
      return Effect().stop();
    }
    instance.timers.startSingleTimer("stop-when-settled", Stop.INSTANCE, STOP_RECHECK);
    return Effect().none();
  }

  /** Passivation asked for by this instance (not a stop that sharding decided). */
  private void requestPassivation() {
    passivationRequested = true;
    passivation.request().run();
  }

  /**
   * A stop this instance did not ask for under Cluster Sharding: its shard moves to another node
   * (rebalance, this node leaving), or sharding's active-entity limit evicts it. With backups in
   * the shared store, the file is then backed up first, so the node that takes the actor over
   * starts from it and replays only what follows.
   */
  private boolean handingOff() {
    return !passivationRequested && runtime.sharedBackups() != null;
  }

  /** Starts the handoff's backup when the file is ahead of its last one; true while it runs. */
  private boolean freshBackupOnItsWay(QueueState state) {
    if (state.seqNr <= instance.backedUpTo()) {
      return false;
    }
    if (!handoffBackupStarted) {
      handoffBackupStarted = true;
      runtime
          .backups()
          .start(
              instance.persistenceId(),
              instance.databaseFile(),
              instance.backupFile(),
              instance::backedUp);
    }
    return runtime.backups().inFlight(instance.persistenceId());
  }

  private boolean isIdle(QueueState state) {
    return state.pending.isEmpty()
        && !ioInFlight
        && waiters.isEmpty()
        && outbox.isEmpty()
        && batch.isEmpty()
        && !stashingBehindBatch;
  }

  private Effect<RuntimeEvent, QueueState> onSubmit(QueueState state, Submit submit) {
    if (stashingBehindBatch) {
      return Effect().stash();
    }
    if (!state.created && !submit.create()) {
      submit
          .replyTo()
          .tell(new Failed(submit.commandId(), new ActorNotFoundException(kind.name(), key)));
      requestPassivation();
      return Effect().none();
    }
    if (!kind.commandType().isInstance(submit.command())) {
      submit
          .replyTo()
          .tell(
              new Failed(
                  submit.commandId(),
                  new CommandRejectedException(
                      submit.commandId(),
                      "unsupported_command",
                      kind.name() + " does not accept " + submit.command().getClass().getName())));
      return Effect().none();
    }
    if (instance.divergedOrNull() != null) {
      submit.replyTo().tell(new Failed(submit.commandId(), instance.divergedOrNull()));
      return Effect().none();
    }
    if (state.pending.containsKey(submit.commandId())) {
      // A resubmission of a queued command (a retry): answer it like the first.
      waiters.acknowledge(submit);
      return Effect().none();
    }
    if (state.created && submit.redeliverable() && executedBefore(submit.commandId())) {
      // A redelivery of an executed command (an outbox whose sender crashed before deleting its
      // row, an operator's retry): it must not run twice, and only needs the acknowledgement.
      // An ask is never one: its id is new for each call (DurableRef#ask), so it is not looked up;
      // nor is an IdempotentCommand, which may run twice.
      submit.replyTo().tell(new Accepted(submit.commandId()));
      return Effect().none();
    }
    List<RuntimeEvent> write = new ArrayList<>(2);
    if (!state.created) {
      write.add(new ActorCreated(kind.name(), key.segments(), now()));
    }
    int queued = state.pending.size();
    report(() -> runtime.metrics().commandArrived(kind.name(), queued));
    boolean idleQueue = state.pending.isEmpty() && !ioInFlight;
    // A buffered batch implies an idle queue: whatever comes meanwhile joins it or waits behind it.
    if (!batch.isEmpty() || (idleQueue && state.created && batch.batchable(submit.command()))) {
      return onBatchable(state, submit);
    }
    if (idleQueue) {
      return decideFresh(state, write, submit);
    }
    markPendingIfFirst(state);
    write.add(new CommandAccepted(submit.commandId(), submit.command(), now()));
    return persistFor(submit, write).thenRun(s -> waiters.acknowledge(submit));
  }

  /**
   * A command while a batch is buffered, or a batchable one on an idle queue: buffered (the batch's
   * {@code FlushBatch} decides it), or, if it is not batchable, stashed behind the batch.
   */
  private Effect<RuntimeEvent, QueueState> onBatchable(QueueState state, Submit submit) {
    if (!batch.batchable(submit.command())) {
      if (gathering) {
        // Nobody waits behind a gathering batch: it is decided now.
        gathering = false;
        gatherEnd.cancel(false);
        context.getSelf().tell(ActorMessage.FlushBatch.INSTANCE);
      }
      stashingBehindBatch = true;
      return Effect().stash();
    }
    if (batch.add(submit)) {
      Duration gather = batch.gatherWindow(submit.command());
      if (gather.isZero()) {
        context.getSelf().tell(ActorMessage.FlushBatch.INSTANCE);
      } else {
        gathering = true;
        long window = ++gatherWindow;
        ActorRef<ActorMessage> self = context.getSelf();
        gatherEnd =
            instance
                .runtime
                .gatherTimer()
                .schedule(() -> self.tell(new ActorMessage.GatherEnded(window)), gather);
      }
    }
    return batch.full() ? flushBatch(state) : Effect().none();
  }

  /**
   * Decides the buffered batch and writes it in one journal write; the callers are answered after
   * it, and the commands stashed behind the batch come next, in their order.
   */
  private Effect<RuntimeEvent, QueueState> flushBatch(QueueState state) {
    boolean unstash = stashingBehindBatch;
    if (batch.isEmpty()) {
      stashingBehindBatch = false;
      return unstash ? Effect().unstashAll() : Effect().none();
    }
    CommandBatch.Prepared prepared = batch.drain(state.seqNr + 1, this::finished);
    if (prepared.write().isEmpty()) {
      prepared.answer().run();
      stashingBehindBatch = false;
      return unstash ? Effect().unstashAll() : Effect().none();
    }
    int size = prepared.callers().size();
    report(() -> runtime.metrics().batchWritten(kind.name(), size));
    persistingBatch = prepared.callers();
    EffectBuilder<RuntimeEvent, QueueState> written =
        Effect()
            .persist(prepared.write())
            .thenRun(
                s -> {
                  persistingBatch = List.of();
                  stashingBehindBatch = false;
                  prepared.answer().run();
                  unlistIfSettled(s);
                });
    return unstash ? written.thenUnstashAll() : written;
  }

  /**
   * Persists the journal write a caller's command needs, remembering the caller until it is
   * written: if the journal fails (a full disk, a read-only data directory), Pekko stops the actor
   * and {@link #stopped} tells that caller that nothing was written, instead of a timeout that
   * would claim the command keeps running.
   */
  private EffectBuilder<RuntimeEvent, QueueState> persistFor(
      Submit submit, List<RuntimeEvent> write) {
    persistingFor = submit;
    return Effect().persist(write).thenRun(s -> persistingFor = null);
  }

  /** PostStop: the database closes (rolling back a staged write); a caller mid-write is told. */
  private void stopped(QueueState state) {
    if (gatherEnd != null) {
      gatherEnd.cancel(false);
    }
    List<Submit> unwritten = new ArrayList<>(persistingBatch);
    if (persistingFor != null) {
      unwritten.add(persistingFor);
    }
    persistingFor = null;
    persistingBatch = List.of();
    boolean settled = instance.settledButListed();
    if (outbox.hasAcknowledged()) {
      // Delivered rows not deleted yet go now; an actor that only waited for that is settled.
      settled = outbox.deleteAcknowledged() && instance.listedAsPending();
    }
    if (settled && state.pending.isEmpty() && outbox.isEmpty()) {
      // Stopping settled: nothing would clear the listing before the next start.
      instance.clearPendingWork();
    }
    instance.closeDatabase();
    if (!unwritten.isEmpty()) {
      StorageUnavailableException failure =
          runtime.storage().journalWriteFailed(kind.name() + " " + key);
      for (Submit submit : unwritten) {
        submit.replyTo().tell(new Failed(submit.commandId(), failure));
      }
    }
  }

  /** The fast path: nothing queued, so this command is next; decide before writing anything. */
  private Effect<RuntimeEvent, QueueState> decideFresh(
      QueueState state, List<RuntimeEvent> write, Submit submit) {
    String id = submit.commandId();
    long arrived = now();
    Decision<?> decision = staging.decide(id, submit.command());
    switch (decision.type) {
      case REJECT -> {
        // Nothing changes and nothing is journaled (except the creation a getOrCreate implies).
        Failed failed = new Failed(id, decision.error.toException(id));
        if (write.isEmpty()) {
          submit.replyTo().tell(failed);
          finished(arrived, failed);
          return Effect().none();
        }
        return persistFor(submit, write)
            .thenRun(
                s -> {
                  submit.replyTo().tell(failed);
                  finished(arrived, failed);
                });
      }
      case AFTER -> {
        markPendingIfFirst(state);
        write.add(new CommandAccepted(id, submit.command(), now()));
        return persistFor(submit, write)
            .thenRun(
                s -> {
                  waiters.acknowledge(submit);
                  startIo(id, decision);
                });
      }
      default -> {
        CommandStaging.Staged staged =
            staging.stage(
                state.seqNr + write.size() + 1,
                id,
                submit.command(),
                decision,
                submit.redeliverable());
        if (write.isEmpty() && staged.events().isEmpty() && staged.error() == null) {
          // Nothing changed (an idempotent repeat, a read through a command): nothing to write,
          // as for a batch's command that changes nothing.
          Reply reply = staging.finish(id, staged);
          submit.replyTo().tell(submit.awaitResult() ? reply : new Accepted(id));
          finished(arrived, reply);
          return Effect().none();
        }
        write.add(CommandExecuted.of(id, submit.command(), staged.events(), staged.error(), now()));
        return persistFor(submit, write)
            .thenRun(
                s -> {
                  Reply reply = staging.finish(id, staged);
                  // wait=false: acknowledged once persisted; a failure is kept for inspection.
                  submit.replyTo().tell(submit.awaitResult() ? reply : new Accepted(id));
                  finished(arrived, reply);
                  unlistIfSettled(s);
                });
      }
    }
  }

  /**
   * After a write outside the queued path: an actor listed for waking (its work outside the queue,
   * a sandbox's turn) whose work this write ended is unlisted now, not at its next start.
   */
  private void unlistIfSettled(QueueState state) {
    if (instance.listedAsPending() && state.pending.isEmpty() && outbox.isEmpty()) {
      instance.settled();
    }
  }

  /** Before the first queued command is written, the actor is listed for waking at start. */
  private void markPendingIfFirst(QueueState state) {
    if (state.pending.isEmpty()) {
      instance.markPendingWork();
    }
  }

  private void afterCompletion(QueueState state) {
    if (!state.pending.isEmpty()) {
      context.getSelf().tell(Drain.INSTANCE);
    } else if (outbox.isEmpty()) {
      instance.settled();
    }
  }

  private Effect<RuntimeEvent, QueueState> onDrain(QueueState state) {
    CommandAccepted head = state.head();
    if (head == null || ioInFlight || instance.divergedOrNull() != null) {
      return Effect().none(); // a diverged actor keeps its accepted commands until repaired
    }
    return complete(state, head, staging.decide(head.commandId(), head.command()));
  }

  private Effect<RuntimeEvent, QueueState> onIoFinished(QueueState state, IoFinished finished) {
    CommandAccepted head = state.head();
    if (!ioInFlight || finished.stage() != ioStage) {
      // The late result of I/O whose deadline passed (or the deadline of I/O that finished).
      context
          .getLog()
          .debug("{} {}: late I/O result of {} ignored", kind.name(), key, finished.commandId());
      return Effect().none();
    }
    if (head == null || !head.commandId().equals(finished.commandId())) {
      context
          .getLog()
          .warn("I/O result for {} which is not the head command; dropped", finished.commandId());
      return Effect().none();
    }
    ioInFlight = false;
    instance.timers.cancel(IO_DEADLINE);
    if (finished.failure() instanceof IoTimeoutException) {
      context
          .getLog()
          .warn(
              "{} {}: I/O of command {} timed out: {}",
              kind.name(),
              key,
              head.commandId(),
              finished.failure().getMessage());
    }
    Decision<?> next;
    if (finished.failure() == null) {
      next =
          staging.guard(head.commandId(), () -> finished.decision().then.apply(finished.value()));
    } else if (finished.decision().onFailure != null) {
      next =
          staging.guard(
              head.commandId(), () -> finished.decision().onFailure.apply(finished.failure()));
    } else {
      next = staging.ioFailure(head.commandId(), finished.failure());
    }
    return complete(state, head, next);
  }

  /**
   * Runs the head command's I/O with a deadline: whichever comes first, its result or the deadline,
   * is decided; the other is ignored (a stage number tells them apart).
   */
  private void startIo(String id, Decision<?> decision) {
    ioInFlight = true;
    long stage = ++ioStage;
    Duration deadline = decision.ioTimeout != null ? decision.ioTimeout : settings.ioTimeout();
    instance.timers.startSingleTimer(
        IO_DEADLINE,
        new IoFinished(id, stage, null, new IoTimeoutException(deadline), decision),
        deadline);
    context.pipeToSelf(
        decision.io, (value, failure) -> new IoFinished(id, stage, value, failure, decision));
  }

  /** Completes the queued head command with {@code decision} (or starts its I/O). */
  private Effect<RuntimeEvent, QueueState> complete(
      QueueState state, CommandAccepted head, Decision<?> decision) {
    String id = head.commandId();
    if (decision.type == Decision.Type.AFTER) {
      startIo(id, decision);
      return Effect().none();
    }
    if (decision.type == Decision.Type.REJECT) {
      return Effect()
          .persist(new CommandCompleted(id, List.of(), decision.error, now()))
          .thenRun(
              s -> {
                Failed failed = new Failed(id, decision.error.toException(id));
                waiters.answer(id, failed);
                finished(head.at(), failed);
                afterCompletion(s);
              });
    }
    // Whether the queued command was asked for is not journaled with it: its id is kept.
    CommandStaging.Staged staged =
        staging.stage(
            state.seqNr + 1,
            id,
            head.command(),
            decision,
            !(head.command() instanceof IdempotentCommand));
    return Effect()
        .persist(new CommandCompleted(id, staged.events(), staged.error(), now()))
        .thenRun(
            s -> {
              Reply reply = staging.finish(id, staged);
              waiters.answer(id, reply);
              finished(head.at(), reply);
              afterCompletion(s);
            });
  }

  /** Reports a finished command to the runtime's metrics ({@code since}: when it was accepted). */
  private void finished(long since, Reply reply) {
    String outcome =
        reply instanceof Succeeded
            ? "succeeded"
            : reply instanceof Failed f && f.error() instanceof CommandRejectedException
                ? "rejected"
                : "failed";
    long millis = Math.max(0, now() - since);
    report(() -> runtime.metrics().commandFinished(kind.name(), outcome, millis));
  }

  /** Metrics are never worth a command: a failing hook is logged, not thrown into the actor. */
  private void report(Runnable metric) {
    try {
      metric.run();
    } catch (RuntimeException e) {
      context.getLog().warn("{} {}: runtime metrics hook failed", kind.name(), key, e);
    }
  }

  // --- queries -------------------------------------------------------------------------------

  private Effect<RuntimeEvent, QueueState> onQuery(QueueState state, Query query) {
    if (!state.created && !query.create()) {
      query.replyTo().tell(new Failed(null, new ActorNotFoundException(kind.name(), key)));
      requestPassivation();
      return Effect().none();
    }
    if (!state.created) {
      // getOrCreate creates on any call: make the existence durable before the file appears, so
      // a file never exists for an actor the journal does not know.
      return Effect()
          .persist(new ActorCreated(kind.name(), key.segments(), now()))
          .thenRun(s -> queries.answer(query));
    }
    queries.answer(query);
    return Effect().none();
  }
}
