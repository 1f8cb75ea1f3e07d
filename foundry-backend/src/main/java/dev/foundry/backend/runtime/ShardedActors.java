package dev.foundry.backend.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Cluster mode's routing: each actor kind is a Cluster Sharding entity type (its name is the {@link
 * EntityTypeKey}'s), each instance an entity whose id is its canonical key, so the persistence id
 * stays {@code kind|key} whichever node runs it. Sharding places the instances on the nodes, moves
 * them when a node leaves or is downed, and buffers their messages meanwhile.
 *
 * <p>An instance asks sharding to passivate it when idle ({@link ClusterSharding.Passivate}), and
 * sharding's stop message is {@link ActorMessage.Stop}: the instance then stops once the command at
 * hand is written (see {@code DurableBehavior}), since sharding buffers its messages until it has.
 */
final class ShardedActors implements ActorRouting {
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Map<String, ActorRef<ShardingEnvelope<ActorMessage>>> regions =
      new ConcurrentHashMap<>();
  private final Map<String, EntityTypeKey<ActorMessage>> typeKeys = new ConcurrentHashMap<>();

  ShardedActors(
      DurableRuntime runtime, RuntimeSettings settings, Iterable<ActorKind<?, ?, ?>> kinds) {
    this.system = runtime.system();
    this.sharding = ClusterSharding.get(system);
    for (ActorKind<?, ?, ?> kind : kinds) {
      EntityTypeKey<ActorMessage> typeKey = EntityTypeKey.create(ActorMessage.class, kind.name());
      typeKeys.put(kind.name(), typeKey);
      regions.put(
          kind.name(),
          sharding.init(
              Entity.of(typeKey, context -> entity(kind, context, runtime, settings))
                  .withStopMessage(ActorMessage.Stop.INSTANCE)
                  .withEntityProps(DurableRuntime.ACTOR_DISPATCHER)));
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Behavior<ActorMessage> entity(
      ActorKind<?, ?, ?> kind,
      EntityContext<ActorMessage> context,
      DurableRuntime runtime,
      RuntimeSettings settings) {
    ActorKey key = ActorKey.parse(context.getEntityId());
    ActorRef<ClusterSharding.ShardCommand> shard = context.getShard();
    return Behaviors.setup(
        self ->
            DurableBehavior.create(
                (ActorKind) kind,
                key,
                runtime,
                settings,
                ActorRegistry.Passivation.sharded(
                    () -> shard.tell(new ClusterSharding.Passivate<>(self.getSelf())))));
  }

  @Override
  public void tell(ActorKind<?, ?, ?> kind, ActorKey key, ActorMessage message) {
    regions.get(kind.name()).tell(new ShardingEnvelope<>(key.canonical(), message));
  }

  @Override
  public CompletionStage<ActorMessage.Reply> ask(
      ActorKind<?, ?, ?> kind,
      ActorKey key,
      Function<ActorRef<ActorMessage.Reply>, ActorMessage> message,
      Duration timeout) {
    return AskPattern.ask(
        regions.get(kind.name()),
        (ActorRef<ActorMessage.Reply> replyTo) ->
            new ShardingEnvelope<>(key.canonical(), message.apply(replyTo)),
        timeout,
        system.scheduler());
  }

  /** The entities of every kind that run on this node, asked of the local shard regions. */
  @Override
  public CompletionStage<List<String>> activeIds() {
    CompletableFuture<List<String>> all = CompletableFuture.completedFuture(new ArrayList<>());
    for (Map.Entry<String, EntityTypeKey<ActorMessage>> e : typeKeys.entrySet()) {
      CompletionStage<ShardRegion.CurrentShardRegionState> state =
          AskPattern.ask(
              sharding.shardState(),
              replyTo -> new GetShardRegionState(e.getValue(), replyTo),
              Duration.ofSeconds(10),
              system.scheduler());
      all =
          all.thenCombine(
              state,
              (ids, region) -> {
                for (ShardRegion.ShardState shard : region.getShards()) {
                  for (String entity : shard.getEntityIds()) {
                    ids.add(e.getKey() + "|" + entity);
                  }
                }
                return ids;
              });
    }
    return all;
  }
}
