package dev.foundry.backend.http;

import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.metrics.FoundryMetrics;
import dev.foundry.backend.protocol.TaskProtocol;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.duration.FiniteDuration;

/**
 * Binds the one HTTP server (REST, WebSocket, webhooks) and ties it to coordinated shutdown: on
 * SIGTERM readiness turns 503 first, then the port is unbound and in-flight requests get {@code
 * foundry.http.shutdown-deadline} to finish. Every request passes the {@link EdgeGuard} (Host
 * allow-list, cross-origin protection) before routing; the server's request timeout ({@link
 * #requestTimeoutFor}) is above every route's own wait and answers JSON.
 */
public final class HttpServer extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private final ActorSystem<?> system;
  private final FoundrySettings settings;
  private final Readiness readiness;
  private final List<Route> apiRoutes;
  private final FoundryMetrics metrics;
  private final Cors cors;
  private final EdgeGuard guard;
  private final Duration requestTimeout;

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
    this(system, settings, readiness, apiRoutes, metrics, requestTimeoutFor(settings));
  }

  /**
   * @param requestTimeout when the server answers a request that is still being worked on (JSON
   *     {@code 504 request_timeout}); {@link #requestTimeoutFor} is the production value
   */
  public HttpServer(
      ActorSystem<?> system,
      FoundrySettings settings,
      Readiness readiness,
      List<Route> apiRoutes,
      FoundryMetrics metrics,
      Duration requestTimeout) {
    this.system = system;
    this.settings = settings;
    this.readiness = readiness;
    this.apiRoutes = List.copyOf(apiRoutes);
    this.metrics = metrics;
    this.cors = new Cors(AppOrigin.of(settings.appUrl()));
    this.guard = new EdgeGuard(settings);
    this.requestTimeout = requestTimeout;
  }

  /**
   * The server's own request timeout: above the longest wait of any route, so that a waited command
   * always answers first with its JSON {@code 504 command_timeout}. The longest wait is git work
   * and a message's turn start ({@link TaskProtocol#GIT_TIMEOUT}) or a command ({@code
   * foundry.runtime.command-timeout}), followed by reads of the result that take at most one more
   * command timeout.
   */
  public static Duration requestTimeoutFor(FoundrySettings settings) {
    Duration command = settings.runtime().commandTimeout();
    Duration longest =
        TaskProtocol.GIT_TIMEOUT.compareTo(command) > 0 ? TaskProtocol.GIT_TIMEOUT : command;
    return longest.plus(command).plusSeconds(5);
  }

  Route route() {
    Route process = concat(new ProcessRoutes(readiness).route(), metrics.route());
    Route all = apiRoutes.isEmpty() ? process : concat(process, apiRoutes.toArray(new Route[0]));
    // Built once: the suppliers below run for every request.
    RequestLog requestLog = new RequestLog();
    ExceptionHandler exceptions = ErrorHandling.exceptions();
    RejectionHandler rejections = ErrorHandling.rejections();
    // Pekko's own timeout answer is plain text (503): ours has the API's shape.
    return withRequestTimeoutResponse(
        this::timedOut,
        () ->
            requestLog.wrap(
                () ->
                    metrics.measure(
                        () ->
                            guard.wrap(
                                () ->
                                    cors.wrap(
                                        () ->
                                            handleExceptions(
                                                exceptions,
                                                () ->
                                                    handleRejections(
                                                        rejections,
                                                        () ->
                                                            withSizeLimit(
                                                                settings.http().maxBodyBytes(),
                                                                () -> all))))))));
  }

  private HttpResponse timedOut(HttpRequest request) {
    return new ApiError(
            StatusCodes.GATEWAY_TIMEOUT,
            "request_timeout",
            "no answer within "
                + requestTimeout.toSeconds()
                + "s; what the request started may still be running")
        .toResponse();
  }

  /** The server's settings: the request timeout, and an idle timeout that does not cut it short. */
  private ServerSettings serverSettings() {
    ServerSettings base = ServerSettings.create(system.settings().config());
    ServerSettings.Timeouts timeouts = base.getTimeouts();
    FiniteDuration request =
        FiniteDuration.create(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
    // A connection waiting for its answer sends nothing: the idle timeout must outlast the wait.
    FiniteDuration idle = request.plus(FiniteDuration.create(10, TimeUnit.SECONDS));
    timeouts = timeouts.withRequestTimeout(request);
    scala.concurrent.duration.Duration configuredIdle = timeouts.idleTimeout();
    if (configuredIdle.isFinite() && configuredIdle.lt(idle)) {
      timeouts = timeouts.withIdleTimeout(idle);
    }
    return base.withTimeouts(timeouts);
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
        .withSettings(serverSettings())
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
