package dev.foundry.backend.metrics;

import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.RuntimeMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The metrics of one backend process: a Prometheus registry (not Micrometer's global one, so two
 * servers in one test JVM never mix), the JVM's basic meters, the runtime's command meters and the
 * {@code GET /metrics} route that scrapes them.
 */
public final class FoundryMetrics extends AllDirectives {
  /** Prometheus text exposition format 0.0.4, which every Prometheus scrapes. */
  private static final ContentType TEXT_004 =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  /** How long a scrape waits for values it must ask for (the active actor count). */
  private static final Duration REFRESH_TIMEOUT = Duration.ofSeconds(2);

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<Supplier<CompletionStage<?>>> beforeScrape = new CopyOnWriteArrayList<>();

  public FoundryMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The hook to give {@code DurableRuntime.start}: command latency and queue depth. */
  public RuntimeMetrics runtimeMetrics() {
    return new RuntimeMeters(registry);
  }

  /**
   * Reports {@code runtime}'s active actor count ({@code foundry_actors_active}). The count is an
   * ask to the registry actor, so it is refreshed asynchronously before each scrape rather than
   * read by a gauge on the scraping thread.
   */
  public void watch(DurableRuntime runtime) {
    AtomicLong active = new AtomicLong();
    Gauge.builder("foundry.actors.active", active, AtomicLong::get)
        .description("durable actor instances running now (not passivated)")
        .register(registry);
    beforeScrape.add(() -> runtime.activeCount().thenAccept(active::set));
  }

  /** Measures the requests of {@code inner} ({@code http_server_requests_seconds}). */
  public Route measure(Supplier<Route> inner) {
    return new HttpMetrics(registry).measure(inner);
  }

  /** {@code GET /metrics}: every meter of this process in Prometheus text format. */
  public Route route() {
    return path(
        "metrics",
        () ->
            get(
                () ->
                    HttpMetrics.routeTemplate(
                        "/metrics",
                        () ->
                            onSuccess(
                                refresh(),
                                done ->
                                    complete(
                                        HttpResponse.create()
                                            .withEntity(
                                                TEXT_004,
                                                registry
                                                    .scrape()
                                                    .getBytes(StandardCharsets.UTF_8)))))));
  }

  /** Refreshes the asked-for values; a value that does not answer in time keeps its last one. */
  private CompletionStage<Void> refresh() {
    CompletableFuture<?>[] all =
        beforeScrape.stream()
            .map(
                s ->
                    s.get()
                        .toCompletableFuture()
                        .completeOnTimeout(null, REFRESH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                        .exceptionally(e -> null))
            .toArray(CompletableFuture<?>[]::new);
    return CompletableFuture.allOf(all);
  }
}
