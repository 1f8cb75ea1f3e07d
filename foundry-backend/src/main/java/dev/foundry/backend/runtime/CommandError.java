package dev.foundry.backend.runtime;

/**
 * Why a command did not succeed. {@code code} is snake_case and stable (the HTTP layer maps it to a
 * status); {@code message} is for a human.
 */
public record CommandError(Kind kind, String code, String message) {

  public enum Kind {
    /** The handler refused the command (bad input, wrong state): a client mistake. */
    REJECTED,
    /** The handler threw or its I/O failed: kept for inspection, the queue moved on. */
    FAILED
  }

  public static CommandError rejected(String code, String message) {
    return new CommandError(Kind.REJECTED, code, message);
  }

  public static CommandError failed(String code, String message) {
    return new CommandError(Kind.FAILED, code, message);
  }

  public ActorException toException(String commandId) {
    return kind == Kind.REJECTED
        ? new CommandRejectedException(commandId, code, message)
        : new CommandFailedException(commandId, code, message);
  }
}
