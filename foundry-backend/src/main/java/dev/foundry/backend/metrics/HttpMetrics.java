package dev.foundry.backend.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code http_server_requests_seconds} by method, route template and status class. Never by raw
 * path: ids in paths would make a series per task. A route names its template with {@link
 * #routeTemplate}; without one, the path is reduced to the API's fixed words with every other
 * segment as {@code {id}}, and an unmatched path (404 without a template) counts as {@code
 * unmatched}, so a scanner probing random paths adds no series.
 */
public final class HttpMetrics {
  /** The template a route names for its requests; read back from the response. */
  public static final AttributeKey<String> ROUTE =
      AttributeKey.create("foundry-route", String.class);

  private static final Duration[] BUCKETS = {
    Duration.ofMillis(5),
    Duration.ofMillis(25),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(5),
    Duration.ofSeconds(30)
  };

  /** The literal path segments of API.md; anything else in a path is an id. */
  private static final Set<String> WORDS =
      Set.of(
          "v1",
          "health",
          "ready",
          "openapi.json",
          "metrics",
          "auth",
          "sign-in",
          "github",
          "callback",
          "session",
          "sign-out",
          "dev",
          "app",
          "active-organization",
          "default-model",
          "organizations",
          "repos",
          "sync",
          "tasks",
          "push",
          "merge",
          "archive",
          "kill",
          "switch",
          "attach",
          "pull-request",
          "owner",
          "sessions",
          "messages",
          "stop",
          "sandbox",
          "processes",
          "logs",
          "audit-log",
          "billing",
          "checkout",
          "portal",
          "cancel",
          "resume",
          "complete",
          "webhooks",
          "stripe",
          "realtime");

  private static final int MAX_SEGMENTS = 10;

  private final MeterRegistry registry;

  /**
   * The timer of each method, route and status class. Bounded: routes are templates. Looking a
   * timer up through its builder on every request (tags sorted, a registry lookup) cost more than
   * recording into it.
   */
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Names the route template of the requests {@code inner} answers, e.g. {@code /v1/tasks/{id}}.
   */
  public static Route routeTemplate(String template, Supplier<Route> inner) {
    return Directives.mapResponse(r -> r.addAttribute(ROUTE, template), inner);
  }

  Route measure(Supplier<Route> inner) {
    return Directives.extractRequest(
        request -> {
          long start = System.nanoTime();
          return Directives.mapResponse(
              response -> {
                record(request, response, System.nanoTime() - start);
                return response;
              },
              inner);
        });
  }

  private void record(HttpRequest request, HttpResponse response, long nanos) {
    int status = response.status().intValue();
    String route =
        response
            .getAttribute(ROUTE)
            .orElseGet(() -> status == 404 ? "unmatched" : template(request.getUri().path()));
    String method = request.method().value();
    String statusClass = (status / 100) + "xx";
    timers
        .computeIfAbsent(
            method + ' ' + route + ' ' + statusClass,
            k ->
                Timer.builder("http.server.requests")
                    .description("HTTP requests until their response starts")
                    .tag("method", method)
                    .tag("route", route)
                    .tag("status", statusClass)
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** {@code /v1/organizations/acme/tasks/t1} becomes {@code /v1/organizations/{id}/tasks/{id}}. */
  static String template(String path) {
    String[] segments = path.split("/");
    StringBuilder b = new StringBuilder();
    int count = 0;
    for (String s : segments) {
      if (s.isEmpty()) {
        continue;
      }
      if (++count > MAX_SEGMENTS) {
        return "unmatched";
      }
      b.append('/').append(WORDS.contains(s) ? s : "{id}");
    }
    return b.length() == 0 ? "/" : b.toString();
  }
}
