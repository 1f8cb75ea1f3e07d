package dev.foundry.backend.http.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.runtime.Publication;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.junit.jupiter.api.Test;

class EventsFramesTest {
  private final EventsFrames frames = new EventsFrames();
  private final AtomicInteger renders = new AtomicInteger();

  /** Joins the events' numbers, counting how often it runs. */
  private final Function<List<Publication>, Message> render =
      run -> {
        renders.incrementAndGet();
        List<String> ns = new ArrayList<>();
        run.forEach(p -> ns.add(String.valueOf(((Map<?, ?>) p.payload()).get("n"))));
        return TextMessage.create(String.join(",", ns));
      };

  private static Publication event(int n) {
    return new Publication("organization", "org-1", "taskSummaryUpdated", Map.of("n", n));
  }

  private static String text(Message m) {
    return m.asTextMessage().getStrictText();
  }

  @Test
  void socketsThatTakeTheSameRunShareOneRendering() {
    List<Publication> run = List.of(event(1), event(2), event(3));

    Message first = frames.rendered(run, render);
    // Another socket's queue: a list of its own holding the same publications.
    Message second = frames.rendered(new ArrayList<>(run), render);

    assertThat(second).isSameAs(first);
    assertThat(text(first)).isEqualTo("1,2,3");
    assertThat(renders).hasValue(1);
  }

  @Test
  void aRunThatDiffersInAnyMemberIsRenderedForItself() {
    Publication a = event(1);
    Publication b = event(2);
    Message both = frames.rendered(List.of(a, b), render);

    // A socket that also holds a newer event, one that took only the first, and one whose second
    // event is an equal but distinct publication (published again): none may get the shared frame.
    assertThat(text(frames.rendered(List.of(a, b, event(3)), render))).isEqualTo("1,2,3");
    assertThat(text(frames.rendered(List.of(a, event(2)), render))).isEqualTo("1,2");
    assertThat(frames.rendered(List.of(a, event(2)), render)).isNotSameAs(both);
    assertThat(renders).hasValue(4);
  }

  @Test
  void manyRunsInTurnEachGetTheirOwnFrame() {
    for (int n = 0; n < 10 * EventsFrames.SLOTS; n++) {
      List<Publication> run = List.of(event(n), event(n + 1));
      assertThat(text(frames.rendered(run, render))).isEqualTo(n + "," + (n + 1));
      assertThat(frames.rendered(run, render)).isSameAs(frames.rendered(run, render));
    }
  }
}
