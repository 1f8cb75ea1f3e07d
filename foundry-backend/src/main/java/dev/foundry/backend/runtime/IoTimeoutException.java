package dev.foundry.backend.runtime;

import java.time.Duration;

/**
 * A command's I/O ({@link Decision#after}) did not finish within its deadline: the command fails
 * with code {@code io_timeout} and the actor's queue moves on. The I/O itself may still be running
 * somewhere; its late result is ignored.
 */
public final class IoTimeoutException extends ActorException {
  public IoTimeoutException(Duration after) {
    super(
        "io_timeout",
        "io_timeout: the command's I/O did not finish within " + after.toMillis() + " ms");
  }

  /** Restores one received from another node: same code and message as the original. */
  private IoTimeoutException(String code, String message) {
    super(code, message);
  }

  static IoTimeoutException restored(String message) {
    return new IoTimeoutException("io_timeout", message);
  }
}
