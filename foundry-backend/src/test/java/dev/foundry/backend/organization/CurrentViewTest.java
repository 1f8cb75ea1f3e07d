package dev.foundry.backend.organization;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The in-memory view keeps loaded values, and never one whose load raced with a change. */
class CurrentViewTest {
  @Test
  void aLoadedValueIsKeptAndServedWithoutLoadingAgain() {
    CurrentView<String, String> view = new CurrentView<>(10);
    AtomicInteger loads = new AtomicInteger();
    assertThat(
            view.get("a", () -> CompletableFuture.completedFuture("v" + loads.incrementAndGet()))
                .toCompletableFuture()
                .join())
        .isEqualTo("v1");
    assertThat(
            view.get("a", () -> CompletableFuture.completedFuture("v" + loads.incrementAndGet()))
                .toCompletableFuture()
                .join())
        .isEqualTo("v1");
    assertThat(loads).hasValue(1);
  }

  @Test
  void aLoadAnsweredBeforeAnInvalidationIsNotKept() {
    CurrentView<String, String> view = new CurrentView<>(10);
    CompletableFuture<String> inFlight = new CompletableFuture<>();
    CompletableFuture<String> read = view.get("a", () -> inFlight).toCompletableFuture();
    // The actor answered the query with the old value, then applied a change and invalidated.
    view.invalidate("a");
    inFlight.complete("old");
    assertThat(read.join()).isEqualTo("old"); // this request was in flight before the change
    assertThat(view.holds("a")).isFalse();
    assertThat(view.get("a", () -> CompletableFuture.completedFuture("new")).toCompletableFuture())
        .isCompletedWithValue("new");
    assertThat(view.holds("a")).isTrue();
  }

  @Test
  void anInvalidationForgetsAKeptValue() {
    CurrentView<String, String> view = new CurrentView<>(10);
    view.get("a", () -> CompletableFuture.completedFuture("v1")).toCompletableFuture().join();
    view.invalidate("a");
    assertThat(view.holds("a")).isFalse();
  }

  @Test
  void absentValuesAreNotKeptAndTheViewIsBounded() {
    CurrentView<String, String> view = new CurrentView<>(2);
    view.get("none", () -> CompletableFuture.completedFuture(null)).toCompletableFuture().join();
    assertThat(view.holds("none")).isFalse();
    for (String k : new String[] {"a", "b", "c"}) {
      view.get(k, () -> CompletableFuture.completedFuture(k)).toCompletableFuture().join();
    }
    assertThat(view.holds("c")).isTrue();
    assertThat(view.holds("a")).isFalse();
  }
}
