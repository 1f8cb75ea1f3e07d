package dev.foundry.backend.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the data directory takes writes. A failed journal write makes it find out: it writes and
 * fsyncs a probe file (1 MiB) in the journal's and the actors' directories, and the operating
 * system's answer ("No space left on device", "Read-only file system") becomes the reason every
 * command is refused with (503) and readiness turns false. The probe repeats every second; when it
 * succeeds, commands are taken again and actors with accepted commands are woken, without a
 * restart.
 */
public final class StorageHealth {
  private static final Logger log = LoggerFactory.getLogger(StorageHealth.class);
  private static final Duration PROBE_EVERY = Duration.ofSeconds(1);

  /**
   * The probe's size: the room a few journal writes need (a write that fails can free what it had
   * taken, so an almost full disk must not pass for a writable one).
   */
  private static final int PROBE_BYTES = 1024 * 1024;

  private final Path dataDir;
  private final ActorSystem<?> system;
  private final Runnable onRecovered;
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final AtomicBoolean probing = new AtomicBoolean();

  StorageHealth(Path dataDir, ActorSystem<?> system, Runnable onRecovered) {
    this.dataDir = dataDir;
    this.system = system;
    this.onRecovered = onRecovered;
  }

  /** Why storage does not take writes; empty while it does. */
  public Optional<String> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** A call that would write: refused at once while storage is failing. */
  void checkWritable() {
    String reason = failure.get();
    if (reason != null) {
      throw new StorageUnavailableException(reason);
    }
  }

  /** The journal write of {@code actor} failed: probe now, and say why to its caller. */
  StorageUnavailableException journalWriteFailed(String actor) {
    String reason = probe();
    if (reason == null) {
      // The storage takes writes again (or the failure was not the disk's): say what happened.
      reason = "the journal write of " + actor + " failed (see the server log)";
      return new StorageUnavailableException(reason);
    }
    if (failure.getAndSet(reason) == null) {
      log.error("storage is not writable, commands are refused until it is: {}", reason);
    }
    scheduleProbe();
    return new StorageUnavailableException(reason);
  }

  private void scheduleProbe() {
    if (!probing.compareAndSet(false, true)) {
      return;
    }
    system
        .scheduler()
        .scheduleOnce(
            PROBE_EVERY,
            () -> {
              probing.set(false);
              String reason = probe();
              if (reason == null) {
                failure.set(null);
                log.info("storage takes writes again; commands are accepted");
                onRecovered.run();
              } else {
                failure.set(reason);
                scheduleProbe();
              }
            },
            system.executionContext());
  }

  /** Null when both directories take an fsynced write; otherwise the system's reason. */
  private String probe() {
    for (Path dir : new Path[] {dataDir.resolve("journal"), dataDir.resolve("actors")}) {
      Path file = dir.resolve(".storage-probe");
      try {
        Files.createDirectories(dir);
        try (FileChannel channel =
            FileChannel.open(
                file,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
          ByteBuffer block = ByteBuffer.allocate(PROBE_BYTES);
          while (block.hasRemaining()) {
            channel.write(block);
          }
          channel.force(true);
        }
      } catch (IOException | RuntimeException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (message.contains(file.toString())) {
          return message;
        }
        return "cannot write " + file + ": " + message;
      } finally {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // a read-only directory keeps nothing of it anyway
        }
      }
    }
    return null;
  }
}
