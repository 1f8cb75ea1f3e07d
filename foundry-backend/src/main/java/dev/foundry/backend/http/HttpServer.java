package dev.foundry.backend.http;

import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.metrics.FoundryMetrics;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the one HTTP server (REST, WebSocket, webhooks) and ties it to coordinated shutdown: on
 * SIGTERM readiness turns 503 first, then the port is unbound and in-flight requests get {@code
 * foundry.http.shutdown-deadline} to finish.
 */
public final class HttpServer extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private final ActorSystem<?> system;
  private final FoundrySettings settings;
  private final Readiness readiness;
  private final List<Route> apiRoutes;
  private final FoundryMetrics metrics;
  private final Cors cors;

  /** A server without metrics of its own (a fresh registry nobody else reads). */
  public HttpServer(
      ActorSystem<?> system, FoundrySettings settings, Readiness readiness, List<Route> apiRoutes) {
    this(system, settings, readiness, apiRoutes, new FoundryMetrics());
  }

  /**
   * @param apiRoutes the REST and realtime routes; CORS for {@code APP_URL}, request metrics,
   *     logging and the error shape are applied around them here
   * @param metrics measures every request and serves {@code GET /metrics}
   */
  public HttpServer(
      ActorSystem<?> system,
      FoundrySettings settings,
      Readiness readiness,
      List<Route> apiRoutes,
      FoundryMetrics metrics) {
    this.system = system;
    this.settings = settings;
    this.readiness = readiness;
    this.apiRoutes = List.copyOf(apiRoutes);
    this.metrics = metrics;
    this.cors = new Cors(AppOrigin.of(settings.appUrl()));
  }

  Route route() {
    Route process = concat(new ProcessRoutes(readiness).route(), metrics.route());
    Route all = apiRoutes.isEmpty() ? process : concat(process, apiRoutes.toArray(new Route[0]));
    return new RequestLog()
        .wrap(
            () ->
                metrics.measure(
                    () ->
                        cors.wrap(
                            () ->
                                handleExceptions(
                                    ErrorHandling.exceptions(),
                                    () ->
                                        handleRejections(
                                            ErrorHandling.rejections(),
                                            () ->
                                                withSizeLimit(
                                                    settings.http().maxBodyBytes(), () -> all))))));
  }

  public CompletionStage<ServerBinding> start() {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "foundry-not-ready",
        () -> {
          readiness.stopping();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    return Http.get(system)
        .newServerAt(settings.http().host(), settings.http().port())
        .bind(route())
        .thenApply(
            binding -> {
              binding.addToCoordinatedShutdown(settings.http().shutdownDeadline(), system);
              log.info(
                  "Foundry listening on http://{}:{}",
                  binding.localAddress().getHostString(),
                  binding.localAddress().getPort());
              return binding;
            });
  }
}
