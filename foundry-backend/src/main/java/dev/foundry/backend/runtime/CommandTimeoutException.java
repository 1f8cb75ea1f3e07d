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
}
