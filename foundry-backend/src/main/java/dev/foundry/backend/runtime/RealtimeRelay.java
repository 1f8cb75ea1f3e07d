package dev.foundry.backend.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Cluster mode's realtime: every publication made on a node reaches the subscribers of every node,
 * through one Pekko distributed publish-subscribe {@link Topic} that each node's relay joins. An
 * actor's publications leave its node in the order it made them (one topic actor per node, one path
 * to each other node), so a socket on another node sees them in order, as locally.
 *
 * <p>The payload is rendered to JSON by the relay actor, off the publishing actor's thread, and
 * arrives as a JSON tree: the realtime layer only ever writes a payload out again.
 */
final class RealtimeRelay {
  /** A publication on its way between nodes; {@code origin} is the node that made it. */
  record Relayed(
      String origin, String topic, String id, String event, String payload, String audience) {}

  private RealtimeRelay() {}

  static void start(ActorSystem<?> system, RealtimeHub hub, ObjectMapper mapper) {
    String origin = Cluster.get(system).selfMember().uniqueAddress().toString();
    ActorRef<Topic.Command<Relayed>> topic =
        system.systemActorOf(
            Topic.create(Relayed.class, "foundry-realtime"), "realtime-topic", Props.empty());
    ActorRef<Object> relay =
        system.systemActorOf(relay(origin, topic, hub, mapper), "realtime-relay", Props.empty());
    topic.tell(Topic.subscribe(relay.<Relayed>narrow()));
    hub.relayTo(relay::tell);
  }

  private static Behavior<Object> relay(
      String origin, ActorRef<Topic.Command<Relayed>> topic, RealtimeHub hub, ObjectMapper mapper) {
    return Behaviors.setup(
        context ->
            Behaviors.receiveMessage(
                message -> {
                  if (message instanceof Publication p) {
                    try {
                      topic.tell(
                          Topic.publish(
                              new Relayed(
                                  origin,
                                  p.topic(),
                                  p.id(),
                                  p.event(),
                                  mapper.writeValueAsString(p.payload()),
                                  p.audience())));
                    } catch (JsonProcessingException e) {
                      context
                          .getLog()
                          .warn("realtime: cannot relay {} {}", p.topicKey(), p.event(), e);
                    }
                  } else if (message instanceof Relayed r && !origin.equals(r.origin())) {
                    try {
                      hub.deliver(
                          new Publication(
                              r.topic(),
                              r.id(),
                              r.event(),
                              mapper.readTree(r.payload()),
                              r.audience()));
                    } catch (JsonProcessingException e) {
                      context.getLog().warn("realtime: unreadable relayed {}", r.event(), e);
                    }
                  }
                  return Behaviors.same();
                }));
  }
}
