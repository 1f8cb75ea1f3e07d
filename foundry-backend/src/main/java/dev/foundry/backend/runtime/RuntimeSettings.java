package dev.foundry.backend.runtime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the runtime behaves; from {@code foundry.runtime} and {@code foundry.data-dir}. {@code
 * backupEvery}: journal events between two whole-file backups of an actor (checked at snapshots).
 * {@code unlistAfter}: how long an actor stays settled before its pending-work listing is cleared.
 */
public record RuntimeSettings(
    Path dataDir,
    Duration passivateAfter,
    Duration commandTimeout,
    int snapshotEvery,
    int maxActiveActors,
    int maxQueuedPerActor,
    Duration ioTimeout,
    int backupEvery,
    Duration unlistAfter) {

  /** Commands and queries one actor may have outstanding before callers get "overloaded". */
  public static final int DEFAULT_MAX_QUEUED_PER_ACTOR = 10_000;

  /** How long a command's I/O ({@link Decision#after}) may take unless the decision says. */
  public static final Duration DEFAULT_IO_TIMEOUT = Duration.ofMinutes(5);

  /** How long a settled actor stays listed for waking at start unless configured. */
  public static final Duration DEFAULT_UNLIST_AFTER = Duration.ofSeconds(2);

  /** Backs actor files up as often as they snapshot (tests, benchmarks). */
  public RuntimeSettings(
      Path dataDir,
      Duration passivateAfter,
      Duration commandTimeout,
      int snapshotEvery,
      int maxActiveActors,
      int maxQueuedPerActor,
      Duration ioTimeout) {
    this(
        dataDir,
        passivateAfter,
        commandTimeout,
        snapshotEvery,
        maxActiveActors,
        maxQueuedPerActor,
        ioTimeout,
        snapshotEvery,
        DEFAULT_UNLIST_AFTER);
  }

  public RuntimeSettings(
      Path dataDir,
      Duration passivateAfter,
      Duration commandTimeout,
      int snapshotEvery,
      int maxActiveActors,
      int maxQueuedPerActor) {
    this(
        dataDir,
        passivateAfter,
        commandTimeout,
        snapshotEvery,
        maxActiveActors,
        maxQueuedPerActor,
        DEFAULT_IO_TIMEOUT);
  }

  public RuntimeSettings(
      Path dataDir, Duration passivateAfter, Duration commandTimeout, int snapshotEvery) {
    this(dataDir, passivateAfter, commandTimeout, snapshotEvery, 2000);
  }

  public RuntimeSettings(
      Path dataDir,
      Duration passivateAfter,
      Duration commandTimeout,
      int snapshotEvery,
      int maxActiveActors) {
    this(
        dataDir,
        passivateAfter,
        commandTimeout,
        snapshotEvery,
        maxActiveActors,
        DEFAULT_MAX_QUEUED_PER_ACTOR);
  }
}
