package dev.foundry.backend.runtime;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Ends the gather windows of batched commands ({@link Handlers#batch}) on time. Pekko's scheduler
 * runs timers on a 10 ms tick, so a 5 ms window ended about 20 ms after its first command
 * (measured: a rename reached a subscriber of its organization 26 ms after its answer, 1.5 ms
 * without the window). This one thread sleeps until the earliest window ends and only tells the
 * actor; it is idle while nothing gathers.
 */
final class GatherTimer implements AutoCloseable {
  private final ScheduledThreadPoolExecutor thread =
      new ScheduledThreadPoolExecutor(
          1,
          r -> {
            Thread t = new Thread(r, "foundry-gather-timer");
            t.setDaemon(true);
            return t;
          });

  GatherTimer() {
    thread.setRemoveOnCancelPolicy(true);
  }

  /** Runs {@code end} (a tell, nothing more) after {@code window}. */
  ScheduledFuture<?> schedule(Runnable end, Duration window) {
    return thread.schedule(end, window.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
