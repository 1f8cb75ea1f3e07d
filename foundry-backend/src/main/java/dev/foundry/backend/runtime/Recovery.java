package dev.foundry.backend.runtime;

import dev.foundry.backend.runtime.ActorMessage.Drain;
import dev.foundry.backend.runtime.RuntimeEvent.ActorCreated;
import dev.foundry.backend.runtime.RuntimeEvent.CommandAccepted;
import dev.foundry.backend.runtime.RuntimeEvent.CommandCompleted;
import dev.foundry.backend.runtime.RuntimeEvent.CommandExecuted;
import java.sql.SQLException;
import java.util.List;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * How a durable actor comes back: snapshots carry a copy of its SQLite file (the snapshot adapter
 * commits the staged write first and restores the copy when the file is missing or behind), the
 * event handler rebuilds the queue and applies only the journal events the file lacks (the replay
 * skip, by {@code _runtime_applied}), and once recovery completes the outbox and the accepted
 * commands resume.
 */
final class Recovery<
    C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>> {
  private final ActorInstance<C, E, T> instance;
  private final ActorKind<C, E, T> kind;
  private final ActorKey key;
  private final ActorContext<ActorMessage> context;
  private final Outbox<C, E, T> outbox;
  private final ActorQueries<C, E, T> queries;

  Recovery(ActorInstance<C, E, T> instance, Outbox<C, E, T> outbox, ActorQueries<C, E, T> queries) {
    this.instance = instance;
    this.kind = instance.kind;
    this.key = instance.key;
    this.context = instance.context;
    this.outbox = outbox;
    this.queries = queries;
  }

  SnapshotAdapter<QueueState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(QueueState state) {
        // Pekko snapshots after the journal write and before our side effects run, so the
        // events of that write are still staged: the journal has them, commit them now.
        try {
          instance.database().commit();
        } catch (SQLException e) {
          throw new IllegalStateException(kind.name() + " " + key + ": commit failed", e);
        }
        return new ActorSnapshot(
            state.created, state.seqNr, state.pendingList(), instance.database().backup());
      }

      @Override
      public QueueState fromJournal(Object from) {
        ActorSnapshot snapshot = (ActorSnapshot) from;
        // The file may be missing, or behind because it runs synchronous=NORMAL: the snapshot's
        // copy is then the truth, and replay continues after it.
        if (instance.database().appliedSeqNr() < snapshot.seqNr()) {
          instance.database().restore(snapshot.database(), kind.migrations());
          instance.reopenTables();
        }
        return QueueState.of(snapshot.created(), snapshot.seqNr(), snapshot.pending());
      }
    };
  }

  /** Recovery completed: the outbox is sent again and the accepted commands resume. */
  void completed(QueueState state) {
    checkNotAhead(state);
    if (state.created) {
      instance.listedAsPending(!state.pending.isEmpty());
      outbox.deliver();
    }
    if (!state.pending.isEmpty() && instance.divergedOrNull() == null) {
      context.getLog().debug("resuming {} accepted commands", state.pending.size());
      context.getSelf().tell(Drain.INSTANCE);
    }
  }

  /**
   * A file that applied more events than the journal holds is not trusted silently: the actor
   * refuses commands (reads still answer) and says why, once, in the log.
   */
  private void checkNotAhead(QueueState state) {
    ActorDatabase database = instance.databaseIfOpen();
    if (database == null && !java.nio.file.Files.exists(instance.databaseFile())) {
      return; // nothing on disk: nothing to be ahead
    }
    long applied = instance.database().appliedSeqNr();
    if (applied > state.seqNr) {
      ActorDivergedException diverged =
          new ActorDivergedException(kind.name() + " " + key, applied, state.seqNr);
      instance.diverged(diverged);
      context.getLog().error(diverged.getMessage());
    }
  }

  /**
   * The event handler, live and on replay: journal events rebuild the queue, and the events of
   * completed commands reach the tables through {@link #applyToTables}.
   */
  QueueState applyEvent(QueueState state, RuntimeEvent event) {
    state.seqNr++;
    if (event instanceof ActorCreated) {
      state.created = true;
    } else if (event instanceof CommandAccepted accepted) {
      state.pending.put(accepted.commandId(), accepted);
    } else if (event instanceof CommandCompleted completed) {
      CommandAccepted accepted = state.pending.remove(completed.commandId());
      applyToTables(
          state.seqNr,
          completed.events(),
          accepted == null ? null : accepted.command(),
          completed.commandId(),
          completed.error(),
          completed.at());
    } else if (event instanceof CommandExecuted executed) {
      applyToTables(
          state.seqNr,
          executed.events(),
          executed.command(),
          executed.commandId(),
          executed.error(),
          executed.at());
    }
    return state;
  }

  /** Replay path: applies unless staged already (live path) or applied before a crash. */
  private void applyToTables(
      long seqNr,
      List<DurableEvent> events,
      DurableCommand<?> command,
      String commandId,
      CommandError error,
      long at) {
    boolean failure = error != null && error.kind() == CommandError.Kind.FAILED;
    if (events.isEmpty() && !failure) {
      return;
    }
    ActorDatabase db = instance.database();
    if (seqNr <= db.appliedSeqNr()) {
      return;
    }
    try {
      db.applyAt(
          seqNr,
          events,
          instance.tables(),
          failure ? queries.failedCommand(commandId, command, error, at) : null,
          outbox.rows(commandId, events),
          commandId,
          at);
    } catch (SQLException e) {
      throw new IllegalStateException(
          kind.name() + " " + key + ": cannot apply journal event " + seqNr + ": " + e.getMessage(),
          e);
    }
  }
}
