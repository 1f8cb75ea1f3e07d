package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.auth.CookieSessions;
import dev.foundry.shared.app.FoundryOrganization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.Rejections;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.Uri;
import org.apache.pekko.stream.Materializer;

/**
 * Serves the rows of {@link RestApi}, matched by method and path template. Every request goes
 * through the same steps, in this order, so no handler can skip one:
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

  /**
   * One route for every row: the request's path is looked up in the table (rows of its length, in
   * {@link RestApi}'s order), not tried against one nested Pekko route per row. A path that no row
   * has is rejected with no rejection (404 once nothing else matches); a path whose rows take other
   * methods is rejected with their methods (405).
   */
  public Route route() {
    for (Endpoint endpoint : endpoints) {
      if (endpoint.handler() == null) {
        throw new IllegalArgumentException(endpoint.operationId() + " has no handler");
      }
    }
    Map<Integer, List<Row>> rows =
        endpoints.stream()
            .map(Row::new)
            .collect(Collectors.groupingBy(r -> r.segments.size(), Collectors.toList()));
    return extractRequest(
        request -> {
          List<String> path = segments(request);
          List<Row> candidates = path == null ? null : rows.get(path.size());
          if (candidates == null) {
            return reject();
          }
          List<Rejection> otherMethods = null;
          for (Row row : candidates) {
            Map<String, String> params = row.match(path);
            if (params == null) {
              continue;
            }
            if (row.method.equals(request.method())) {
              return extractMaterializer(
                  mat -> completeWithFuture(serve(row.endpoint, params, request, mat)));
            }
            if (otherMethods == null) {
              otherMethods = new ArrayList<>();
            }
            otherMethods.add(Rejections.method(row.method));
          }
          return otherMethods == null
              ? reject()
              : reject(
                  otherMethods.get(0), otherMethods.stream().skip(1).toArray(Rejection[]::new));
        });
  }

  /**
   * The decoded segments of a path of the form {@code /a/b/c}; {@code null} for any other form (an
   * empty segment, a trailing slash), which no row has.
   */
  private static List<String> segments(HttpRequest request) {
    Uri.Path path = ((org.apache.pekko.http.scaladsl.model.HttpRequest) request).uri().path();
    List<String> segments = new ArrayList<>(8);
    while (!path.isEmpty()) {
      if (!path.startsWithSlash()) {
        return null;
      }
      path = path.tail();
      if (!path.startsWithSegment()) {
        return null;
      }
      segments.add((String) path.head());
      path = path.tail();
    }
    return segments;
  }

  /** A row's method and path template: literal segments, and {@code {name}} ones that capture. */
  private static final class Row {
    final Endpoint endpoint;
    final HttpMethod method;
    final List<String> segments;

    Row(Endpoint endpoint) {
      this.endpoint = endpoint;
      this.method = HttpMethods.lookup(endpoint.method()).orElseThrow();
      this.segments = endpoint.segments();
    }

    /** The captured segments when {@code path} (of this row's length) fits; else {@code null}. */
    Map<String, String> match(List<String> path) {
      Map<String, String> params = null;
      for (int i = 0; i < segments.size(); i++) {
        String template = segments.get(i);
        if (template.startsWith("{")) {
          if (params == null) {
            params = new LinkedHashMap<>(4);
          }
          params.put(template.substring(1, template.length() - 1), path.get(i));
        } else if (!template.equals(path.get(i))) {
          return null;
        }
      }
      return params == null ? Map.of() : params;
    }
  }

  private CompletionStage<HttpResponse> serve(
      Endpoint endpoint, Map<String, String> path, HttpRequest request, Materializer mat) {
    CompletionStage<HttpResponse> response;
    try {
      // A small body arrives whole (strict) already: taking it as it is spares the hop to another
      // thread that a conversion from Scala's future makes for every stage after it.
      CompletionStage<HttpEntity.Strict> entity =
          request.entity() instanceof HttpEntity.Strict strict
              ? CompletableFuture.completedFuture(strict)
              : request.entity().toStrict(BODY_TIMEOUT.toMillis(), mat);
      response =
          entity
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
