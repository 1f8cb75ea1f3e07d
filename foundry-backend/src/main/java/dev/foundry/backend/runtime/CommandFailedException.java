package dev.foundry.backend.runtime;

/**
 * The command's handler threw or its I/O failed. The command is completed with this error (kept in
 * the actor's {@code _runtime_failed_commands} table) and later commands run normally.
 */
public final class CommandFailedException extends ActorException {
  private final String commandId;

  public CommandFailedException(String commandId, String code, String message) {
    super(code, message);
    this.commandId = commandId;
  }

  public String commandId() {
    return commandId;
  }
}
