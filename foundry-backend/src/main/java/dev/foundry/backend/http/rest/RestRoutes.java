package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.auth.CookieSessions;
import dev.foundry.shared.app.FoundryOrganization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;

/**
 * Serves the rows of {@link RestApi}: one Pekko route per row, matched by method and path template.
 * Every request goes through the same steps, in this order, so no handler can skip one:
 *
 * <ol>
 *   <li>the body is read (at most {@code foundry.http.max-body-size}, else 413);
 *   <li>the session cookie is resolved (401 on a signed-in route without a live session);
 *   <li>query parameters must be the row's (400) and path ids well-formed (404);
 *   <li>the body is bound strictly to the row's request record (400/415/422);
 *   <li>{@code {org}}: the user must be an active member (404 unknown, 403 not a member);
 *   <li>{@code {taskId}}: the task must be indexed by that organization (404 otherwise);
 *   <li>a creating POST with an {@code Idempotency-Key} (400 if malformed) is claimed for the user:
 *       a retry answers the kept result instead of running again ({@link IdempotencyKeys});
 *   <li>the handler runs; its failures become the error shape through {@link ApiErrors}.
 * </ol>
 */
public final class RestRoutes extends AllDirectives {
  private static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);
  private static final Set<String> EMPTY_BODIES = Set.of("", "{}");
  private static final HttpHeader NO_STORE = CacheControl.create(CacheDirectives.NO_STORE);

  private final List<Endpoint> endpoints;
  private final CookieSessions sessions;
  private final ResourceAccess access;
  private final IdempotencyKeys idempotencyKeys;

  public RestRoutes(List<Endpoint> endpoints, CookieSessions sessions, ResourceAccess access) {
    this.endpoints = List.copyOf(endpoints);
    this.sessions = sessions;
    this.access = access;
    this.idempotencyKeys = new IdempotencyKeys(access.runtime());
  }

  public Route route() {
    Route[] routes = endpoints.stream().map(this::route).toArray(Route[]::new);
    return concat(routes[0], Arrays.copyOfRange(routes, 1, routes.length));
  }

  private Route route(Endpoint endpoint) {
    if (endpoint.handler() == null) {
      throw new IllegalArgumentException(endpoint.operationId() + " has no handler");
    }
    return match(endpoint, endpoint.segments(), 0, Map.of());
  }

  /** Literal segments match as they are; {@code {name}} segments capture one path segment. */
  private Route match(Endpoint endpoint, List<String> segments, int i, Map<String, String> params) {
    if (i == segments.size()) {
      return pathEnd(
          () ->
              method(
                  HttpMethods.lookup(endpoint.method()).orElseThrow(),
                  () ->
                      extractRequest(
                          request ->
                              extractMaterializer(
                                  mat ->
                                      completeWithFuture(serve(endpoint, params, request, mat))))));
    }
    String segment = segments.get(i);
    if (segment.startsWith("{")) {
      String name = segment.substring(1, segment.length() - 1);
      return pathPrefix(
          PathMatchers.segment(),
          value -> {
            Map<String, String> more = new LinkedHashMap<>(params);
            more.put(name, value);
            return match(endpoint, segments, i + 1, more);
          });
    }
    return pathPrefix(segment, () -> match(endpoint, segments, i + 1, params));
  }

  private CompletionStage<HttpResponse> serve(
      Endpoint endpoint, Map<String, String> path, HttpRequest request, Materializer mat) {
    CompletionStage<HttpResponse> response;
    try {
      response =
          request
              .entity()
              .toStrict(BODY_TIMEOUT.toMillis(), mat)
              .thenCompose(strict -> authorized(endpoint, path, request, strict))
              .thenApply(reply -> render(endpoint, reply));
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response.exceptionally(
        failure -> ApiErrors.of(failure).toResponse().addHeader(NO_STORE));
  }

  private CompletionStage<Object> authorized(
      Endpoint endpoint, Map<String, String> path, HttpRequest request, HttpEntity.Strict strict) {
    CompletionStage<Optional<CookieSessions.Session>> session =
        endpoint.signedIn()
            ? sessions.current(request)
            : CompletableFuture.completedFuture(Optional.empty());
    return session.thenCompose(
        s -> {
          if (endpoint.signedIn() && s.isEmpty()) {
            throw new ApiException(StatusCodes.UNAUTHORIZED, "not_signed_in", "sign in first");
          }
          Map<String, String> query = query(endpoint, request);
          checkPath(path);
          String idempotencyKey =
              endpoint.takesIdempotencyKey() && s.isPresent()
                  ? IdempotencyKeys.keyOf(request)
                  : null;
          Object body = body(endpoint, strict);
          CookieSessions.Session signedIn = s.orElse(null);
          CompletionStage<FoundryOrganization> org =
              path.containsKey("org") && signedIn != null
                  ? access.requireMember(signedIn.user().userId(), path.get("org"), false)
                  : CompletableFuture.completedFuture(null);
          return org.thenCompose(
              organization -> {
                CompletionStage<ResourceAccess.TaskRef> task =
                    path.containsKey("taskId")
                        ? access.resolveTask(path.get("org"), path.get("taskId"))
                        : CompletableFuture.completedFuture(null);
                return task.thenCompose(
                    t -> {
                      Call call =
                          new Call(
                              signedIn,
                              path,
                              query,
                              organization,
                              t,
                              body,
                              request,
                              idempotencyKey);
                      if (idempotencyKey == null) {
                        return endpoint.handler().handle(call).thenApply(result -> (Object) result);
                      }
                      return idempotencyKeys
                          .serve(
                              signedIn.user().userId(),
                              idempotencyKey,
                              request,
                              strict.getData().toArray(),
                              () -> rendered(endpoint, call))
                          .thenApply(response -> (Object) response);
                    });
              });
        });
  }

  /** Only the row's query parameters, each at most once. */
  private static Map<String, String> query(Endpoint endpoint, HttpRequest request) {
    Map<String, List<String>> given;
    try {
      given = request.getUri().query().toMultiMap();
    } catch (RuntimeException e) {
      throw ApiErrors.badRequest("invalid_parameter", "the query string cannot be parsed");
    }
    Set<String> allowed =
        endpoint.query().stream().map(Endpoint.QueryParameter::name).collect(Collectors.toSet());
    Map<String, String> out = new HashMap<>();
    for (Map.Entry<String, List<String>> e : given.entrySet()) {
      if (!allowed.contains(e.getKey())) {
        throw ApiErrors.badRequest(
            "unknown_parameter",
            "unknown query parameter '"
                + ResourceAccess.abbreviate(e.getKey())
                + "'"
                + (allowed.isEmpty() ? "; this route takes none" : "; allowed: " + allowed));
      }
      if (e.getValue().size() != 1) {
        throw ApiErrors.badRequest(
            "invalid_parameter", "query parameter '" + e.getKey() + "' is given more than once");
      }
      out.put(e.getKey(), e.getValue().get(0));
    }
    return out;
  }

  /** Ids that cannot exist are answered like ids that do not. */
  private static void checkPath(Map<String, String> path) {
    for (Map.Entry<String, String> p : path.entrySet()) {
      boolean ok =
          p.getKey().equals("org")
              ? ResourceAccess.validOrganizationId(p.getValue())
              : ResourceAccess.validId(p.getValue());
      if (!ok) {
        throw new ApiException(
            StatusCodes.NOT_FOUND,
            switch (p.getKey()) {
              case "org" -> "organization_not_found";
              case "taskId" -> "task_not_found";
              case "sessionId" -> "session_not_found";
              case "repoId" -> "repository_not_found";
              default -> "not_found";
            },
            "no such " + p.getKey() + ": " + ResourceAccess.abbreviate(p.getValue()));
      }
    }
  }

  private static Object body(Endpoint endpoint, HttpEntity.Strict strict) {
    byte[] bytes = strict.getData().toArray();
    if (endpoint.requestType() == RawBody.class) {
      return new RawBody(bytes);
    }
    String text = new String(bytes, StandardCharsets.UTF_8).strip();
    if (endpoint.requestType() == null) {
      if (!EMPTY_BODIES.contains(text.replaceAll("\\s+", ""))) {
        throw ApiErrors.badRequest("unexpected_body", "this route takes no request body");
      }
      return null;
    }
    if (!text.isEmpty()
        && !strict.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
      throw new ApiException(
          StatusCodes.UNSUPPORTED_MEDIA_TYPE,
          "unsupported_media_type",
          "send the body as application/json");
    }
    return ApiJson.read(bytes, endpoint.requestType());
  }

  /** The handler's answer as it is sent, errors included (what an Idempotency-Key keeps). */
  private static CompletionStage<HttpResponse> rendered(Endpoint endpoint, Call call) {
    CompletionStage<?> handled;
    try {
      handled = endpoint.handler().handle(call);
    } catch (RuntimeException e) {
      handled = CompletableFuture.failedFuture(e);
    }
    return handled
        .thenApply(result -> render(endpoint, result))
        .exceptionally(failure -> ApiErrors.of(failure).toResponse().addHeader(NO_STORE));
  }

  private static HttpResponse render(Endpoint endpoint, Object result) {
    if (result instanceof HttpResponse response) {
      // Rendered already (an Idempotency-Key's kept or first answer).
      return response;
    }
    int status = endpoint.status();
    Object body = result;
    List<HttpHeader> headers = List.of();
    if (result instanceof Reply reply) {
      status = reply.status();
      body = reply.body();
      headers = reply.headers();
    }
    HttpResponse response =
        HttpResponse.create().withStatus(status).addHeader(NO_STORE).addHeaders(headers);
    if (body == null && (status == 204 || result instanceof Reply)) {
      return response;
    }
    return response.withEntity(ContentTypes.APPLICATION_JSON, ApiJson.write(body));
  }
}
