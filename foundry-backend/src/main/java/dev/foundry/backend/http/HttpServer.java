package dev.foundry.backend.http;

import dev.foundry.backend.config.FoundrySettings;
import java.util.List;
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

  public HttpServer(
      ActorSystem<?> system, FoundrySettings settings, Readiness readiness, List<Route> apiRoutes) {
    this.system = system;
    this.settings = settings;
    this.readiness = readiness;
    this.apiRoutes = List.copyOf(apiRoutes);
  }

  Route route() {
    Route process = new ProcessRoutes(readiness).route();
    Route all = apiRoutes.isEmpty() ? process : concat(process, apiRoutes.toArray(new Route[0]));
    return new RequestLog()
        .wrap(
            () ->
                handleExceptions(
                    ErrorHandling.exceptions(),
                    () ->
                        handleRejections(
                            ErrorHandling.rejections(),
                            () -> withSizeLimit(settings.http().maxBodyBytes(), () -> all))));
  }

  public CompletionStage<ServerBinding> start() {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "foundry-not-ready",
        () -> {
          readiness.stopping();
          return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
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
