package dev.foundry.backend.runtime;

/**
 * One realtime message: on {@code topic} (e.g. {@code organization}) for {@code id} (e.g. {@code
 * acme}), the full-replacement {@code payload} of {@code event} (e.g. {@code organizationUpdated}).
 * {@code audience}, when not null, restricts delivery to one user's connections (the {@code app}
 * topic: one user's snapshot never reaches another).
 */
public record Publication(String topic, String id, String event, Object payload, String audience) {
  public Publication(String topic, String id, String event, Object payload) {
    this(topic, id, event, payload, null);
  }

  public String topicKey() {
    return topic + ":" + id;
  }
}
