package dev.foundry.backend.runtime;

import com.fasterxml.jackson.annotation.JsonTypeName;
import java.util.List;

/**
 * A command for another actor, persisted with the events of the command that decided it ({@link
 * Decision#andTell}): the transactional outbox. It is written to the sender's {@code
 * _runtime_outbox} table in the same SQLite transaction as the events, sent after the commit, and
 * deleted once the target acknowledges it; undelivered ones are resent with backoff and after a
 * restart. Delivery is at least once, under a command id derived from the sender's command.
 */
@JsonTypeName("runtime.outbound")
public record Outbound(String kind, List<String> key, boolean create, DurableCommand<?> command)
    implements DurableEvent {

  /** A command for the actor {@code target} addresses. */
  public record Tell(DurableRef<?> target, DurableCommand<?> command) {}

  static Outbound of(Tell tell) {
    return new Outbound(
        tell.target().kindName(),
        tell.target().key().segments(),
        tell.target().creates(),
        tell.command());
  }
}
