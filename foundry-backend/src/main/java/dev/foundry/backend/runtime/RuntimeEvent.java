package dev.foundry.backend.runtime;

import com.fasterxml.jackson.annotation.JsonTypeName;
import java.util.List;

/**
 * What the runtime persists for every actor: the durable command queue. The domain events of a
 * command travel inside its completion, so they commit atomically with it.
 */
public sealed interface RuntimeEvent extends Journaled {

  /** The first event of every actor: its existence is durable. */
  @JsonTypeName("runtime.actor-created")
  record ActorCreated(String kind, List<String> key, long at) implements RuntimeEvent {}

  /** A command entered the queue; it is acknowledged once this is written. */
  @JsonTypeName("runtime.command-accepted")
  record CommandAccepted(String commandId, DurableCommand<?> command, long at)
      implements RuntimeEvent {}

  /** The queued command {@code commandId} finished: its events, or why it did not succeed. */
  @JsonTypeName("runtime.command-completed")
  record CommandCompleted(String commandId, List<DurableEvent> events, CommandError error, long at)
      implements RuntimeEvent {}

  /**
   * A command accepted and completed in one write: the common case of an idle actor deciding
   * without I/O, which halves the writes per command.
   */
  @JsonTypeName("runtime.command-executed")
  record CommandExecuted(
      String commandId,
      DurableCommand<?> command,
      List<DurableEvent> events,
      CommandError error,
      long at)
      implements RuntimeEvent {

    /**
     * The journal event of a command decided and written at once; a successful {@link
     * RestatedByEvents} command is left out (null), its events say it all. Replay never needs the
     * command of a success.
     */
    static CommandExecuted of(
        String commandId,
        DurableCommand<?> command,
        List<DurableEvent> events,
        CommandError error,
        long at) {
      boolean restated = command instanceof RestatedByEvents && error == null;
      return new CommandExecuted(commandId, restated ? null : command, events, error, at);
    }
  }
}
