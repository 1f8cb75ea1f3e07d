package dev.foundry.backend.http.realtime;

import dev.foundry.backend.runtime.Publication;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ws.Message;

/**
 * The {@code events} frames of batched sockets, rendered once for all the sockets that take the
 * same publications together, as each single event frame is ({@link Publication#rendered}).
 *
 * <p>Why: one organization batch reaches every subscribed socket as the same run of publications,
 * and a socket that keeps up takes exactly that run as one {@code events} frame. Joined per socket,
 * 1,000 sockets built 1,000 equal strings of a few KB each per batch (garbage, not much CPU: the
 * fan-out's cost is per wake-up of a socket, docs/performance.md run 12).
 *
 * <p>A small table of the latest renderings, slotted by the identity of the run's first publication
 * and matched by the identity of every member: a socket whose run differs (it also holds an older
 * event) renders its own frame, as before. Entries are immutable; two sockets that race render
 * twice, which is only wasted work. The table holds at most {@link #SLOTS} renderings.
 */
final class EventsFrames {
  static final int SLOTS = 64;

  private final AtomicReferenceArray<Rendered> slots = new AtomicReferenceArray<>(SLOTS);

  private record Rendered(Publication[] events, Message message) {
    boolean sameRun(List<Publication> run) {
      if (events.length != run.size()) {
        return false;
      }
      for (int i = 0; i < events.length; i++) {
        if (events[i] != run.get(i)) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * The frame {@code render} makes of {@code run}, shared with the sockets that take the same run.
   */
  Message rendered(List<Publication> run, Function<List<Publication>, Message> render) {
    int slot = System.identityHashCode(run.get(0)) & (SLOTS - 1);
    Rendered latest = slots.get(slot);
    if (latest != null && latest.sameRun(run)) {
      return latest.message();
    }
    Message message = render.apply(run);
    slots.set(slot, new Rendered(run.toArray(Publication[]::new), message));
    return message;
  }
}
