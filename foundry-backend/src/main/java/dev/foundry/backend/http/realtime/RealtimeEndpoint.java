package dev.foundry.backend.http.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.http.ApiError;
import dev.foundry.backend.http.AppOrigin;
import dev.foundry.backend.http.auth.Authenticator;
import dev.foundry.backend.metrics.HttpMetrics;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.runtime.RealtimeHub;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;

/**
 * {@code GET /v1/realtime}: the WebSocket that pushes snapshots and changes to the frontend.
 *
 * <p>Before the upgrade: an {@code Origin} other than {@code APP_URL}'s or the server's own (the
 * console it serves at {@code /}) is refused with 403 (a page on another site must not open a
 * socket that carries the user's cookie); a request without {@code Origin} is allowed, since
 * browsers always send one on a WebSocket handshake and the check guards browsers only. Then the
 * session cookie must name a signed-in user, else 401. Only then is the socket opened; everything
 * after that is a {@link RealtimeConnection}. A socket lives no longer than the session it was
 * opened with: {@link #sessionEnded} closes it when the session is signed out, and it closes by
 * itself when the session expires.
 */
public final class RealtimeEndpoint extends AllDirectives {
  private final Authenticator authenticator;
  private final TopicAccess access;
  private final RealtimeHub hub;
  private final FoundrySettings.Realtime settings;
  private final AppOrigin appOrigin;
  private final ObjectMapper json;
  private final RealtimeMeters meters;
  private final Materializer materializer;
  private final OpenSockets sockets = new OpenSockets();
  private final EventsFrames eventsFrames = new EventsFrames();

  /**
   * @param json writes the frames and their payloads (the project mapper: {@code
   *     JsonTypes.get(system).mapper()})
   * @param meters where the endpoint registers its connection, subscription and slow-client meters
   */
  public RealtimeEndpoint(
      ActorSystem<?> system,
      FoundrySettings settings,
      Authenticator authenticator,
      TopicAccess access,
      RealtimeHub hub,
      ObjectMapper json,
      MeterRegistry meters) {
    this.authenticator = authenticator;
    this.access = access;
    this.hub = hub;
    this.settings = settings.realtime();
    this.appOrigin = AppOrigin.of(settings.appUrl());
    this.json = json;
    this.meters = new RealtimeMeters(meters);
    this.materializer = Materializer.matFromSystem(system);
    // Before HTTP unbinds: the sockets close with a normal close frame while the server still
    // runs, instead of breaking when the connections are terminated.
    listenForEnds();
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "foundry-close-realtime-sockets",
            () -> {
              sockets.closeAll();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  /**
   * Closes the sockets opened with {@code sessionId}, releasing their subscriptions: the session
   * ended (signed out, replaced by another sign-in, expired), so they no longer have a signed-in
   * user. {@code FoundryApp} wires it to {@link
   * dev.foundry.backend.http.auth.CookieSessions#onSessionEnded}.
   */
  public void sessionEnded(String sessionId) {
    hub.publish(new Publication(SOCKETS, SESSION_ENDED, SESSION_ENDED, Map.of("id", sessionId)));
  }

  /**
   * {@code userId} is no longer a member of {@code organizationId} (a GitHub membership sync saw
   * them leave): their open sockets close, so no subscription of that organization outlives the
   * membership; a reconnecting client subscribes only to what it may still see.
   */
  public void membershipEnded(String userId, String organizationId) {
    hub.publish(new Publication(SOCKETS, ACCESS_CHANGED, ACCESS_CHANGED, Map.of("id", userId)));
  }

  /**
   * The ends above go through the hub, on a topic no client can subscribe to, so that in cluster
   * mode they close the sockets of every node, not only those of the node that saw the sign-out.
   */
  private static final String SOCKETS = "_sockets";

  private static final String SESSION_ENDED = "session-ended";
  private static final String ACCESS_CHANGED = "access-changed";

  private void listenForEnds() {
    hub.subscribe(SOCKETS, SESSION_ENDED, p -> sockets.sessionEnded(idOf(p)));
    hub.subscribe(SOCKETS, ACCESS_CHANGED, p -> sockets.userAccessChanged(idOf(p)));
  }

  /** The id in a local publication's map, or in one relayed from another node (a JSON tree). */
  private static String idOf(Publication p) {
    if (p.payload() instanceof JsonNode json) {
      return json.path("id").asText();
    }
    return String.valueOf(((Map<?, ?>) p.payload()).get("id"));
  }

  public Route route() {
    return path(
        PathMatchers.segment("v1").slash("realtime"),
        () ->
            get(
                () ->
                    HttpMetrics.routeTemplate(
                        "/v1/realtime",
                        () ->
                            extractRequest(
                                request -> {
                                  var origin = request.getHeader("Origin").map(h -> h.value());
                                  if (origin.isPresent()
                                      && !appOrigin.matches(origin.get())
                                      && !sameOrigin(origin.get(), request)) {
                                    return complete(
                                        new ApiError(
                                                StatusCodes.FORBIDDEN,
                                                "origin_not_allowed",
                                                "realtime connections are accepted from "
                                                    + appOrigin.value()
                                                    + " only")
                                            .toResponse());
                                  }
                                  var batch = request.getUri().query().get("batch");
                                  if (batch.isPresent()
                                      && !batch.get().equals("true")
                                      && !batch.get().equals("false")) {
                                    return complete(
                                        new ApiError(
                                                StatusCodes.BAD_REQUEST,
                                                "invalid_parameter",
                                                "batch is true or false")
                                            .toResponse());
                                  }
                                  return signedIn(batch.map("true"::equals).orElse(false));
                                }))));
  }

  /**
   * The page that opens the socket was served by this server itself (the console at {@code /}): its
   * {@code Origin} names the request's own {@code Host}, which the edge already checked against the
   * allow-list, so another site (or a DNS-rebound name) can never pass as it.
   */
  private static boolean sameOrigin(String origin, HttpRequest request) {
    var host = request.getHeader("Host").map(h -> h.value().strip());
    if (host.isEmpty()) {
      return false;
    }
    try {
      URI uri = new URI(origin);
      return ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
          && uri.getRawAuthority() != null
          && uri.getRawAuthority().equalsIgnoreCase(host.get());
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /** {@code batched}: the client asked for {@code events} frames ({@code ?batch=true}). */
  private Route signedIn(boolean batched) {
    return extractRequest(
        request ->
            onSuccess(
                authenticator.authenticate(request),
                user -> {
                  if (user.isEmpty()) {
                    return complete(
                        new ApiError(
                                StatusCodes.UNAUTHORIZED,
                                "unauthorized",
                                "sign in first: the session cookie is missing or has ended")
                            .toResponse());
                  }
                  return extractWebSocketUpgrade(
                      upgrade ->
                          complete(
                              upgrade.handleMessagesWith(
                                  new RealtimeConnection(
                                          user.get(),
                                          settings,
                                          hub,
                                          access,
                                          json,
                                          meters,
                                          sockets,
                                          eventsFrames,
                                          batched)
                                      .flow(materializer))));
                }));
  }
}
