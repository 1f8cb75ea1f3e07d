package dev.foundry.backend.runtime;

import dev.foundry.backend.persistence.SharedBackups;
import dev.foundry.backend.runtime.ActorMessage.Drain;
import dev.foundry.backend.runtime.RuntimeEvent.ActorCreated;
import dev.foundry.backend.runtime.RuntimeEvent.CommandAccepted;
import dev.foundry.backend.runtime.RuntimeEvent.CommandCompleted;
import dev.foundry.backend.runtime.RuntimeEvent.CommandExecuted;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;

/**
 * How a durable actor comes back. Its SQLite file is its state and records the journal position it
 * has applied ({@code _runtime_applied}); a snapshot records only the queue and its position, so it
 * costs the same for any file. A lost file (or one behind its latest backup) is first replaced by
 * the latest backup ({@link ActorBackups}); recovery then starts from the latest snapshot at or
 * below the file's position, and the event handler rebuilds the queue and applies only the journal
 * events the file lacks (the replay skip). Once recovery completes the outbox and the accepted
 * commands resume.
 *
 * <p>Snapshots of the previous release carried a base64 copy of the whole file; they still restore
 * it. An actor without a backup can only have such snapshots (snapshots are taken only once a
 * backup exists), so it recovers from its latest snapshot as that release did.
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

  /**
   * Where recovery starts, decided before it does: with a backup, the file is brought to at least
   * the backup's position (replaced by the backup when missing or behind it), and the snapshot is
   * the latest at or below the file's position, so that the journal after it holds every event the
   * file lacks; the journal keeps those (see {@link ActorBackups}). Without a backup, the latest
   * snapshot.
   */
  org.apache.pekko.persistence.typed.javadsl.Recovery strategy() {
    Path file = instance.databaseFile();
    Path backup = instance.backupFile();
    SharedBackups shared = instance.runtime.sharedBackups();
    long sharedAt = shared == null ? -1 : fetchSharedBackup(shared, backup);
    if (!Files.exists(backup)) {
      return org.apache.pekko.persistence.typed.javadsl.Recovery.withSnapshotSelectionCriteria(
          SnapshotSelectionCriteria.latest());
    }
    try {
      long backedUp = ActorDatabase.appliedSeqNrOf(backup);
      // With a shared store, what it holds is what the journal may be trimmed behind and what
      // snapshots may rely on: a local backup newer than it (its upload failed) only restores here.
      instance.backedUp(shared == null ? backedUp : Math.min(backedUp, sharedAt));
      long local = Files.exists(file) ? instance.database().appliedSeqNr() : -1;
      if (local < backedUp) {
        // Lost, or behind the backup (it runs synchronous=NORMAL): the backup is the newer state.
        context
            .getLog()
            .info(
                "{} {}: file at {} is behind its backup at {}; restoring the backup",
                kind.name(),
                key,
                local < 0 ? "(missing)" : local,
                backedUp);
        instance.closeDatabase();
        ActorDatabase.replaceFromBackup(file, backup);
        local = instance.database().appliedSeqNr();
      }
      return org.apache.pekko.persistence.typed.javadsl.Recovery.withSnapshotSelectionCriteria(
          SnapshotSelectionCriteria.latest().withMaxSequenceNr(local));
    } catch (SQLException | IOException e) {
      throw new IllegalStateException(
          kind.name()
              + " "
              + key
              + ": cannot restore from backup "
              + backup
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Brings the local backup up to the one in the shared store when it is missing or older (a node
   * without this actor's data, or whose copy another node has since overtaken), streaming it into
   * the backup's place; the local restore below then proceeds as without a shared store. Returns
   * the position of the shared store's backup, -1 when it has none.
   */
  private long fetchSharedBackup(SharedBackups shared, Path backup) {
    try {
      long stored = shared.latestSeqNr(instance.persistenceId());
      long local = Files.exists(backup) ? ActorDatabase.appliedSeqNrOf(backup) : -1;
      if (stored > local) {
        context
            .getLog()
            .info(
                "{} {}: fetching its backup at {} from the shared store (local backup: {})",
                kind.name(),
                key,
                stored,
                local < 0 ? "none" : local);
        return shared.fetch(instance.persistenceId(), backup);
      }
      return stored;
    } catch (SQLException | IOException e) {
      throw new IllegalStateException(
          kind.name()
              + " "
              + key
              + ": cannot read its backup from the shared store: "
              + e.getMessage(),
          e);
    }
  }

  /**
   * At each snapshot position: starts a backup when the last one is {@code backup-every} events old
   * (or there is none yet), and says whether to snapshot, which needs a backup (see the class
   * comment).
   */
  boolean snapshotAt(long seqNr) {
    if (seqNr % instance.settings.snapshotEvery() != 0) {
      return false;
    }
    long backedUp = instance.backedUpTo();
    if (backedUp < 0 || seqNr - lastBackupStarted >= instance.settings.backupEvery()) {
      if (instance
          .runtime
          .backups()
          .start(
              instance.persistenceId(),
              instance.databaseFile(),
              instance.backupFile(),
              instance::backedUp)) {
        lastBackupStarted = seqNr;
      }
    }
    return backedUp >= 0;
  }

  /** The position at which this activation last started a backup. */
  private long lastBackupStarted;

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
        return new ActorSnapshot(state.created, state.seqNr, state.pendingList(), null);
      }

      @Override
      public QueueState fromJournal(Object from) {
        ActorSnapshot snapshot = (ActorSnapshot) from;
        // A snapshot of the previous release, when the file is missing or behind it: its copy is
        // the truth, and replay continues after it.
        if (snapshot.database() != null && instance.database().appliedSeqNr() < snapshot.seqNr()) {
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
      outbox.deliver(); // reads the rows first (opening the file), so isEmpty below knows them
      // Accepted commands and undelivered outbox rows were both listed before they were written:
      // the listing is then known, and cleared once they are done (settled).
      instance.listedAsPending(!state.pending.isEmpty() || !outbox.isEmpty());
      if (state.pending.isEmpty() && outbox.isEmpty()) {
        // Woken by a stale listing (killed after listing, before the write; or after the work
        // finished, before the listing was cleared): nothing else would ever clear it.
        instance.clearPendingWork();
      }
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
