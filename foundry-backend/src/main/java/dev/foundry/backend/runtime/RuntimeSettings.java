package dev.foundry.backend.runtime;

import java.nio.file.Path;
import java.time.Duration;

/** How the runtime behaves; from {@code foundry.runtime} and {@code foundry.data-dir}. */
public record RuntimeSettings(
    Path dataDir,
    Duration passivateAfter,
    Duration commandTimeout,
    int snapshotEvery,
    int maxActiveActors) {

  public RuntimeSettings(
      Path dataDir, Duration passivateAfter, Duration commandTimeout, int snapshotEvery) {
    this(dataDir, passivateAfter, commandTimeout, snapshotEvery, 2000);
  }
}
