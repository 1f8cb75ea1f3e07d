package dev.foundry.backend.runtime;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The single-node routing: every instance runs in this process, under one {@link ActorRegistry}.
 */
final class LocalActors implements ActorRouting {
  private final ActorRef<ActorRegistry.Command> registry;
  private final ActorSystem<?> system;

  LocalActors(ActorRef<ActorRegistry.Command> registry, ActorSystem<?> system) {
    this.registry = registry;
    this.system = system;
  }

  @Override
  public void tell(ActorKind<?, ?, ?> kind, ActorKey key, ActorMessage message) {
    registry.tell(new ActorRegistry.Route(kind, key, message));
  }

  @Override
  public CompletionStage<ActorMessage.Reply> ask(
      ActorKind<?, ?, ?> kind,
      ActorKey key,
      Function<ActorRef<ActorMessage.Reply>, ActorMessage> message,
      Duration timeout) {
    return AskPattern.ask(
        registry,
        (ActorRef<ActorMessage.Reply> replyTo) ->
            new ActorRegistry.Route(kind, key, message.apply(replyTo)),
        timeout,
        system.scheduler());
  }

  @Override
  public CompletionStage<List<String>> activeIds() {
    return AskPattern.ask(
        registry, ActorRegistry.ListActive::new, Duration.ofSeconds(10), system.scheduler());
  }
}
