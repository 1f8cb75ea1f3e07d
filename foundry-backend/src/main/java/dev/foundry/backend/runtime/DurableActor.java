package dev.foundry.backend.runtime;

import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;

/**
 * The class a product actor extends. It declares its handlers once; the runtime does the rest:
 * persisting commands before acknowledging them, running them one at a time in order, applying
 * their events to the tables with the journal sequence number, recovery, snapshots, passivation.
 *
 * <pre>{@code
 * protected void handlers(Handlers<Command, TodoTables> on) {
 *   on.command(AddItem.class, this::addItem)
 *     .query(ListItems.class, (q, tables) -> tables.items());
 * }
 * }</pre>
 *
 * <p>Handlers run on the actor's thread and may read the tables. Work that waits on the outside
 * world returns {@link Decision#after}; its I/O runs elsewhere and must not touch the tables.
 */
public abstract class DurableActor<
    C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>> {
  private final ActorSetup<T> setup;
  private String commandId;

  protected DurableActor(ActorSetup<T> setup) {
    this.setup = setup;
  }

  /** Registers this actor's command and query handlers. Called once per activation. */
  protected abstract void handlers(Handlers<C, T> on);

  /**
   * Called after the events of one command were applied and committed (never during recovery): the
   * place to publish realtime updates or to tell other actors. Must not throw.
   */
  protected void afterApply(List<E> events, T tables) {}

  /**
   * Commands for other actors that follow from a command's events, derived from the tables as the
   * events left them (same transaction) and persisted with them: delivered at least once, also
   * across a crash (the transactional outbox, like {@link Decision#andTell}). Use it instead of
   * telling from {@link #afterApply} whenever the message must not be lost (audit entries,
   * summaries pushed up). Not called on replay; must not throw.
   */
  protected List<Outbound.Tell> durableTells(List<E> events, T tables) {
    return List.of();
  }

  /**
   * True while the actor has work in flight outside its command queue that a crash would leave
   * unfinished, such as an agent turn streaming into a sandbox actor. The runtime then keeps the
   * actor on its list of actors to wake at the next start, as it does for one with queued commands,
   * so that a restart finds the work and ends it at once instead of when someone next addresses the
   * actor. Read on the actor's thread with the tables as a command's events left them (in their
   * transaction), and when its queue empties. Must not throw.
   */
  protected boolean wakeAtStart(T tables) {
    return false;
  }

  protected final ActorKey key() {
    return setup.key();
  }

  protected final DurableRuntime runtime() {
    return setup.runtime();
  }

  /** Runs I/O callbacks; never the common pool (it starves a 2-core machine). */
  protected final Executor executor() {
    return setup.executor();
  }

  protected final Logger log() {
    return setup.log();
  }

  /** The id of the command being decided: an idempotency key for external calls. */
  protected final String commandId() {
    return commandId;
  }

  protected final void publish(Publication publication) {
    setup.hub().publish(publication);
  }

  /** Publishes a full-replacement payload, built only if anyone subscribes to the topic. */
  protected final void publish(
      String topic, String id, String event, java.util.function.Supplier<?> payload) {
    setup.hub().publish(topic, id, event, payload);
  }

  final void decidingCommand(String id) {
    this.commandId = id;
  }
}
