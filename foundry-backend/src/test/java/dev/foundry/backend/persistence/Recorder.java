package dev.foundry.backend.persistence;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * A minimal event-sourced actor for the journal tests: appends string events, optionally tagged.
 */
final class Recorder extends EventSourcedBehavior<Recorder.Command, String, List<String>> {
  sealed interface Command permits Append, Get {}

  /** Persists all events in one atomic write; replies with the number of events so far. */
  record Append(List<String> events, ActorRef<Integer> replyTo) implements Command {}

  record Get(ActorRef<List<String>> replyTo) implements Command {}

  private final Set<String> tags;

  private Recorder(String persistenceId, Set<String> tags) {
    super(PersistenceId.ofUniqueId(persistenceId));
    this.tags = tags;
  }

  static Behavior<Command> create(String persistenceId) {
    return new Recorder(persistenceId, Set.of());
  }

  static Behavior<Command> tagged(String persistenceId, Set<String> tags) {
    return new Recorder(persistenceId, Set.copyOf(tags));
  }

  @Override
  public List<String> emptyState() {
    return List.of();
  }

  @Override
  public Set<String> tagsFor(String event) {
    return tags;
  }

  @Override
  public CommandHandler<Command, String, List<String>> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(
            Append.class,
            (state, cmd) -> Effect().persist(cmd.events()).thenReply(cmd.replyTo(), List::size))
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .build();
  }

  @Override
  public EventHandler<List<String>, String> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) -> {
              List<String> next = new ArrayList<>(state.size() + 1);
              next.addAll(state);
              next.add(event);
              return List.copyOf(next);
            });
  }
}
