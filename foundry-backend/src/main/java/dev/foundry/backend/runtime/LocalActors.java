package dev.foundry.backend.runtime;

import dev.foundry.backend.runtime.InstanceGates.Gate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The single-node routing: every instance runs in this process, under one {@link ActorRegistry}. A
 * message goes straight to its running instance when the instance's gate is open ({@link
 * InstanceGates}), through the registry otherwise.
 */
final class LocalActors implements ActorRouting {
  private final ActorRef<ActorRegistry.Command> registry;
  private final InstanceGates gates;
  private final ActorSystem<?> system;

  LocalActors(
      ActorRef<ActorRegistry.Command> registry, InstanceGates gates, ActorSystem<?> system) {
    this.registry = registry;
    this.gates = gates;
    this.system = system;
  }

  @Override
  public void tell(ActorKind<?, ?, ?> kind, ActorKey key, ActorMessage message) {
    gates.send(
        kind.persistenceId(key),
        new InstanceGates.Send<Void>() {
          @Override
          public Void direct(ActorRef<ActorMessage> instance) {
            instance.tell(message);
            return null;
          }

          @Override
          public Void routed(Gate gate) {
            registry.tell(new ActorRegistry.Route(kind, key, message, gate));
            return null;
          }
        });
  }

  @Override
  public CompletionStage<ActorMessage.Reply> ask(
      ActorKind<?, ?, ?> kind,
      ActorKey key,
      Function<ActorRef<ActorMessage.Reply>, ActorMessage> message,
      Duration timeout) {
    return gates.send(
        kind.persistenceId(key),
        new InstanceGates.Send<CompletionStage<ActorMessage.Reply>>() {
          @Override
          public CompletionStage<ActorMessage.Reply> direct(ActorRef<ActorMessage> instance) {
            return AskPattern.ask(instance, message::apply, timeout, system.scheduler());
          }

          @Override
          public CompletionStage<ActorMessage.Reply> routed(Gate gate) {
            return AskPattern.ask(
                registry,
                (ActorRef<ActorMessage.Reply> replyTo) ->
                    new ActorRegistry.Route(kind, key, message.apply(replyTo), gate),
                timeout,
                system.scheduler());
          }
        });
  }

  @Override
  public CompletionStage<List<String>> activeIds() {
    return AskPattern.ask(
        registry, ActorRegistry.ListActive::new, Duration.ofSeconds(10), system.scheduler());
  }
}
