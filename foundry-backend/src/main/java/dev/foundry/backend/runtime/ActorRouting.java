package dev.foundry.backend.runtime;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How calls reach actor instances: this process's {@link ActorRegistry} on the single-node default,
 * Cluster Sharding's regions in cluster mode ({@link ShardedActors}). Everything above it (refs,
 * outbox, wake-ups) is the same in both.
 */
interface ActorRouting {

  /** Sends {@code message} to the instance of {@code kind} under {@code key}, starting it. */
  void tell(ActorKind<?, ?, ?> kind, ActorKey key, ActorMessage message);

  /** Sends the message {@code message} builds around a reply address, and waits for the reply. */
  CompletionStage<ActorMessage.Reply> ask(
      ActorKind<?, ?, ?> kind,
      ActorKey key,
      Function<ActorRef<ActorMessage.Reply>, ActorMessage> message,
      Duration timeout);

  /** The instances running in this process, as {@code kind|canonical key}. */
  CompletionStage<List<String>> activeIds();
}
