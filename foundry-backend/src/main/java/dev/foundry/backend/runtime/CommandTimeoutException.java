package dev.foundry.backend.runtime;

import java.time.Duration;

/**
 * A waiting caller stopped waiting. The command was accepted (or may have been, when even the
 * acknowledgement did not arrive) and keeps running: only the answer is lost.
 */
public final class CommandTimeoutException extends ActorException {
  private final String commandId;

  public CommandTimeoutException(String commandId, Duration after) {
    super(
        "command_timeout",
        "command " + commandId + " did not finish within " + after + "; it keeps running");
    this.commandId = commandId;
  }

  public String commandId() {
    return commandId;
  }

  /** Restores one received from another node: same command id and message as the original. */
  private CommandTimeoutException(String commandId, String code, String message) {
    super(code, message);
    this.commandId = commandId;
  }

  static CommandTimeoutException restored(String commandId, String message) {
    return new CommandTimeoutException(commandId, "command_timeout", message);
  }
}
