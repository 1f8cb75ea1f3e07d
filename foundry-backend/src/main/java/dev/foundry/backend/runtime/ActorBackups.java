package dev.foundry.backend.runtime;

import dev.foundry.backend.persistence.JournalTrim;
import dev.foundry.backend.persistence.SharedBackups;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-file backups of actor files, made off the actors' threads, one at a time for the whole
 * runtime (a backup reads the whole file; two at once would only compete for the disk).
 *
 * <p>An actor's file is its state; a snapshot records only the queue and the position. The backup
 * is what rebuilds a lost file: the latest backup, then the journal after it. So events leave the
 * journal only once a durable backup covers them: after each backup, {@link JournalTrim} deletes
 * what lies below the latest snapshot at or below the backup's position. Each actor has one backup
 * ({@link ActorFiles#backupFile}), replaced atomically by the next. When the journal is on
 * PostgreSQL, each backup is also stored there ({@link SharedBackups}) before the journal is
 * trimmed behind it, so the journal is trimmed only behind a backup in the shared store.
 */
final class ActorBackups implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ActorBackups.class);

  private final JournalTrim trim;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "foundry-actor-backups");
            t.setDaemon(true);
            return t;
          });

  /** Persistence ids whose backup is queued or running. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  /** Null when the journal is the SQLite file: backups stay in the local directory only. */
  private final SharedBackups shared;

  /**
   * {@code trim} null: backups are made but the journal is not trimmed (no journal file known).
   * {@code shared} not null: each backup is also stored there, before the journal is trimmed.
   */
  ActorBackups(JournalTrim trim, SharedBackups shared) {
    this.trim = trim;
    this.shared = shared;
  }

  /**
   * Starts a backup of {@code source} into {@code target} unless one of this actor is on its way;
   * {@code done} runs on the backup thread with the backed-up position, after the journal was
   * trimmed. False when one was on its way already.
   */
  boolean start(
      String persistenceId, Path source, Path target, java.util.function.LongConsumer done) {
    if (!inFlight.add(persistenceId)) {
      return false;
    }
    try {
      worker.execute(
          () -> {
            try {
              long covered = ActorDatabase.backup(source, target);
              if (shared != null) {
                // The journal is shared: only a backup in the shared store lets another node (or
                // this one, without its data directory) rebuild the file, so nothing is trimmed,
                // and no snapshot depends on this backup, until the store has it.
                shared.store(persistenceId, covered, target);
              }
              if (trim != null) {
                trim.trim(persistenceId, covered);
              }
              done.accept(covered);
            } catch (Exception e) {
              // The journal keeps its events; the next backup tries again.
              log.warn("backup of {} failed: {}", persistenceId, e.toString());
            } finally {
              inFlight.remove(persistenceId);
            }
          });
      return true;
    } catch (RuntimeException rejected) {
      inFlight.remove(persistenceId); // shutting down
      return false;
    }
  }

  /**
   * Trims the journal again once a snapshot is saved: a backup that finished before the snapshot
   * below its position was stored trimmed nothing, and without this the journal would wait for the
   * next backup. Runs on the backup thread; a failure only leaves events for the next trim.
   */
  void trimAfterSnapshot(String persistenceId, long backedUpTo) {
    if (trim == null || backedUpTo < 0) {
      return;
    }
    try {
      worker.execute(
          () -> {
            try {
              trim.trim(persistenceId, backedUpTo);
            } catch (Exception e) {
              log.warn("trimming the journal of {} failed: {}", persistenceId, e.toString());
            }
          });
    } catch (RuntimeException rejected) {
      // shutting down: the next activation's backup trims
    }
  }

  /** Whether a backup of this actor is queued or running. */
  boolean inFlight(String persistenceId) {
    return inFlight.contains(persistenceId);
  }

  @Override
  public void close() {
    worker.shutdown();
  }
}
