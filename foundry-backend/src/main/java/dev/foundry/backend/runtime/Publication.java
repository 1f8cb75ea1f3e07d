package dev.foundry.backend.runtime;

import java.util.Objects;
import java.util.function.Function;

/**
 * One realtime message: on {@code topic} (e.g. {@code organization}) for {@code id} (e.g. {@code
 * acme}), the {@code payload} of {@code event} (e.g. {@code organizationUpdated}). {@code
 * audience}, when not null, restricts delivery to one user's connections (the {@code app} topic:
 * one user's snapshot never reaches another).
 *
 * <p>The hub hands the same instance to every subscriber, so it also carries the one rendering of
 * itself that they all share ({@link #rendered}): a publication to 1,000 sockets goes through the
 * JSON writer once, not 1,000 times. Equality is by value (the memo is not part of it).
 */
public final class Publication {
  private final String topic;
  private final String id;
  private final String event;
  private final Object payload;
  private final String audience;

  /** The shared rendering, set once by the first subscriber that needs it. */
  private volatile Object rendered;

  public Publication(String topic, String id, String event, Object payload, String audience) {
    this.topic = topic;
    this.id = id;
    this.event = event;
    this.payload = payload;
    this.audience = audience;
  }

  public Publication(String topic, String id, String event, Object payload) {
    this(topic, id, event, payload, null);
  }

  public String topic() {
    return topic;
  }

  public String id() {
    return id;
  }

  public String event() {
    return event;
  }

  public Object payload() {
    return payload;
  }

  public String audience() {
    return audience;
  }

  public String topicKey() {
    return topic + ":" + id;
  }

  /**
   * This publication as {@code render} makes it, rendered by the first caller and shared with the
   * others. Every caller must pass the same rendering (the realtime layer's one frame shape): the
   * memo holds one value, whatever function asks second.
   */
  @SuppressWarnings("unchecked")
  public <T> T rendered(Function<Publication, T> render) {
    Object r = rendered;
    if (r == null) {
      synchronized (this) {
        r = rendered;
        if (r == null) {
          r = Objects.requireNonNull(render.apply(this), "a rendering");
          rendered = r;
        }
      }
    }
    return (T) r;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Publication p
        && Objects.equals(topic, p.topic)
        && Objects.equals(id, p.id)
        && Objects.equals(event, p.event)
        && Objects.equals(payload, p.payload)
        && Objects.equals(audience, p.audience);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, id, event, payload, audience);
  }

  @Override
  public String toString() {
    return "Publication[topic="
        + topic
        + ", id="
        + id
        + ", event="
        + event
        + ", payload="
        + payload
        + ", audience="
        + audience
        + "]";
  }
}
