package dev.foundry.backend.runtime;

/** The actor refused the command (invalid input, wrong state). Nothing changed. */
public final class CommandRejectedException extends ActorException {
  private final String commandId;

  public CommandRejectedException(String commandId, String code, String message) {
    super(code, message);
    this.commandId = commandId;
  }

  public String commandId() {
    return commandId;
  }
}
