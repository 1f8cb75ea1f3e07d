package dev.foundry.sandbox.acp;

import java.util.function.Consumer;

/**
 * Line-by-line parser of a {@code text/event-stream}, per the WHATWG rules the server follows:
 * {@code id:}, {@code event:} and {@code data:} fields (several data lines are joined with
 * newlines), comments start with {@code :} (the server's {@code : heartbeat}), a blank line ends an
 * event. Not thread-safe: one parser per stream, fed in order.
 */
public final class SseParser {

  private final Consumer<SseEvent> events;
  private final Runnable heartbeat;
  private long id = -1;
  private String event;
  private StringBuilder data;

  public SseParser(Consumer<SseEvent> events, Runnable heartbeat) {
    this.events = events;
    this.heartbeat = heartbeat;
  }

  public void line(String line) {
    if (line.isEmpty()) {
      if (data != null) {
        events.accept(new SseEvent(id, event == null ? "message" : event, data.toString()));
      }
      id = -1;
      event = null;
      data = null;
      return;
    }
    if (line.startsWith(":")) {
      heartbeat.run();
      return;
    }
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "data":
        if (data == null) {
          data = new StringBuilder(value);
        } else {
          data.append('\n').append(value);
        }
        break;
      case "id":
        try {
          id = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
          id = -1;
        }
        break;
      case "event":
        event = value;
        break;
      default:
        // "retry:" and unknown fields are ignored, as the SSE rules say.
        break;
    }
  }
}
