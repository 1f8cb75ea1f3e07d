package dev.foundry.backend.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A publication is rendered once, however many subscribers take it at the same moment. */
class PublicationTest {

  @Test
  void everySubscriberSharesTheOneRendering() throws Exception {
    Publication p =
        new Publication("organization", "acme", "taskSummaryUpdated", Map.of("id", "t"));
    AtomicInteger renders = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<Object>> taken = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        taken.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  return p.rendered(pub -> "rendered " + renders.incrementAndGet());
                },
                threads));
      }
      start.countDown();
      Object first = taken.get(0).get(10, TimeUnit.SECONDS);
      for (CompletableFuture<Object> t : taken) {
        assertThat(t.get(10, TimeUnit.SECONDS)).isSameAs(first);
      }
      assertThat(renders).hasValue(1);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void equalityIsByValueNotByRendering() {
    Publication a = new Publication("app", "app", "appUpdated", Map.of("n", 1), "u1");
    Publication b = new Publication("app", "app", "appUpdated", Map.of("n", 1), "u1");
    a.rendered(pub -> "text");
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(new Publication("app", "app", "appUpdated", Map.of("n", 1)));
    assertThat(a.topicKey()).isEqualTo("app:app");
  }
}
