package dev.foundry.backend.http.realtime;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.foundry.backend.runtime.Publication;

/**
 * What the server sends on the realtime socket, one JSON text message each; the record components
 * are the wire fields, in order ({@code type} first). docs/realtime.md is their reference.
 */
sealed interface Frame {

  /** The current full state of a topic, right after its subscribe. */
  record Snapshot(String type, String topic, String id, Object payload) implements Frame {
    Snapshot(String topic, String id, Object payload) {
      this("snapshot", topic, id, payload);
    }
  }

  /** One change, as the full replacement payload of {@code event}. */
  record Event(String type, String topic, String id, String event, Object payload)
      implements Frame {
    Event(Publication p) {
      this("event", p.topic(), p.id(), p.event(), p.payload());
    }
  }

  /**
   * A publication queued for a socket: sent as its {@link Event} frame, which is rendered once per
   * publication and shared by every socket (not a wire shape of its own).
   */
  record Published(Publication publication) implements Frame {}

  /**
   * A frame the server could not act on; the connection stays open. {@code topic} and {@code id}
   * name the subscription it is about, when it is about one.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Error(String type, String code, String message, String topic, String id) implements Frame {
    Error(String code, String message) {
      this("error", code, message, null, null);
    }

    Error(String code, String message, String topic, String id) {
      this("error", code, message, topic, id);
    }
  }

  record Pong(String type) implements Frame {
    static final Pong INSTANCE = new Pong("pong");
  }
}
