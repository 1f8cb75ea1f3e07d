package dev.foundry.backend.runtime;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process seam between actors that publish after applying events and the realtime layer that
 * fans out to WebSocket connections. Publishing never blocks and never fails the publisher: a
 * subscriber must hand the publication to its own bounded buffer.
 */
public final class RealtimeHub {
  private static final Logger log = LoggerFactory.getLogger(RealtimeHub.class);

  private final Map<String, Set<Consumer<Publication>>> subscribers = new ConcurrentHashMap<>();

  /**
   * In cluster mode: hands each publication made here to the other nodes ({@link RealtimeRelay}).
   */
  private volatile Consumer<Publication> relay;

  /** Delivers {@code publication} to the current subscribers of its topic and id, on every node. */
  public void publish(Publication publication) {
    publishAll(List.of(publication));
  }

  void relayTo(Consumer<Publication> relay) {
    this.relay = relay;
  }

  /**
   * A subscriber that takes the publications of one actor turn together: a realtime socket then
   * queues them and wakes its stream once, instead of once per publication.
   */
  public interface Batched extends Consumer<Publication> {
    /** {@code publications}: of one topic and id, in publish order. */
    void acceptAll(List<Publication> publications);
  }

  /**
   * Publishes what one actor turn made, in order, on every node; consecutive publications of one
   * topic and id reach a {@link Batched} subscriber together.
   */
  public void publishAll(List<Publication> publications) {
    Consumer<Publication> toOthers = relay;
    if (toOthers != null) {
      publications.forEach(toOthers);
    }
    int from = 0;
    while (from < publications.size()) {
      String topicKey = publications.get(from).topicKey();
      int to = from + 1;
      while (to < publications.size() && publications.get(to).topicKey().equals(topicKey)) {
        to++;
      }
      deliver(topicKey, publications.subList(from, to));
      from = to;
    }
  }

  private void deliver(String topicKey, List<Publication> run) {
    Set<Consumer<Publication>> set = subscribers.get(topicKey);
    if (set == null) {
      return;
    }
    for (Consumer<Publication> s : set) {
      try {
        if (s instanceof Batched batched) {
          batched.acceptAll(run);
        } else {
          run.forEach(s);
        }
      } catch (RuntimeException e) {
        log.warn("realtime subscriber failed on {}; ignoring", topicKey, e);
      }
    }
  }

  /** Delivers a publication made on another node to this node's subscribers. */
  void deliver(Publication publication) {
    deliver(publication.topicKey(), List.of(publication));
  }

  /**
   * Publishes the payload that {@code payload} builds, building it only when someone listens:
   * full-replacement payloads are costly to assemble and most actors have no subscriber.
   */
  public void publish(String topic, String id, String event, Supplier<?> payload) {
    if (!hasSubscribers(topic, id)) {
      return;
    }
    publish(new Publication(topic, id, event, payload.get()));
  }

  /**
   * Whether a publication on {@code topic} and {@code id} would reach anyone. In cluster mode
   * always: a subscriber may be on another node, and one that subscribed there a moment ago must
   * not miss what follows its snapshot.
   */
  public boolean hasSubscribers(String topic, String id) {
    if (relay != null) {
      return true;
    }
    Set<Consumer<Publication>> set = subscribers.get(topic + ":" + id);
    return set != null && !set.isEmpty();
  }

  /** Subscribes to one topic and id; the returned handle unsubscribes. */
  public AutoCloseable subscribe(String topic, String id, Consumer<Publication> subscriber) {
    String key = topic + ":" + id;
    subscribers.computeIfAbsent(key, k -> new CopyOnWriteArraySet<>()).add(subscriber);
    return () ->
        subscribers.computeIfPresent(
            key,
            (k, set) -> {
              set.remove(subscriber);
              return set.isEmpty() ? null : set;
            });
  }

  public int subscriberCount() {
    return subscribers.values().stream().mapToInt(Set::size).sum();
  }
}
