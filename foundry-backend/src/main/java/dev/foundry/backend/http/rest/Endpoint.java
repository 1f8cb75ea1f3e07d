package dev.foundry.backend.http.rest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One row of the REST table ({@link RestApi}): everything the router needs to serve the route and
 * everything the OpenAPI document says about it, so the two cannot drift.
 *
 * @param method GET, POST, PUT, PATCH or DELETE
 * @param path a template such as {@code /v1/organizations/{org}/tasks/{taskId}}
 * @param status the success status (200, 201, 202)
 * @param signedIn whether the route needs a session cookie (401 without)
 * @param requestType the request record read strictly from the body, or null for no body
 * @param responseType what a success answers (its JSON schema in the document)
 * @param responseIsList whether the success is a JSON array of {@code responseType}
 * @param takesIdempotencyKey whether the route honours an {@code Idempotency-Key} header (a
 *     creating POST)
 */
public record Endpoint(
    String method,
    String path,
    String operationId,
    String summary,
    String tag,
    int status,
    boolean signedIn,
    Class<?> requestType,
    Class<?> responseType,
    boolean responseIsList,
    List<QueryParameter> query,
    boolean takesIdempotencyKey,
    Handler handler) {

  private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z]+)}");

  /** Serves one call; answers the body (serialized with the row's status) or a {@link Reply}. */
  @FunctionalInterface
  public interface Handler {
    CompletionStage<?> handle(Call call);
  }

  /** A query parameter the route accepts; any other is refused with a 400. */
  public record QueryParameter(String name, String type, String description) {}

  public Endpoint {
    query = List.copyOf(query);
  }

  public static Endpoint get(String path, String operationId, String summary) {
    return of("GET", path, operationId, summary, 200);
  }

  public static Endpoint post(String path, String operationId, String summary) {
    return of("POST", path, operationId, summary, 200);
  }

  public static Endpoint put(String path, String operationId, String summary) {
    return of("PUT", path, operationId, summary, 200);
  }

  public static Endpoint patch(String path, String operationId, String summary) {
    return of("PATCH", path, operationId, summary, 200);
  }

  public static Endpoint delete(String path, String operationId, String summary) {
    return of("DELETE", path, operationId, summary, 200);
  }

  private static Endpoint of(
      String method, String path, String operationId, String summary, int status) {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        "",
        status,
        true,
        null,
        Object.class,
        false,
        List.of(),
        false,
        null);
  }

  public Endpoint tag(String value) {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        value,
        status,
        signedIn,
        requestType,
        responseType,
        responseIsList,
        query,
        takesIdempotencyKey,
        handler);
  }

  public Endpoint status(int value) {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        tag,
        value,
        signedIn,
        requestType,
        responseType,
        responseIsList,
        query,
        takesIdempotencyKey,
        handler);
  }

  /** Served without a session (sign-in, sign-out, the OpenAPI document). */
  public Endpoint publicAccess() {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        tag,
        status,
        false,
        requestType,
        responseType,
        responseIsList,
        query,
        takesIdempotencyKey,
        handler);
  }

  public Endpoint body(Class<?> type) {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        tag,
        status,
        signedIn,
        type,
        responseType,
        responseIsList,
        query,
        takesIdempotencyKey,
        handler);
  }

  public Endpoint returns(Class<?> type) {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        tag,
        status,
        signedIn,
        requestType,
        type,
        false,
        query,
        takesIdempotencyKey,
        handler);
  }

  public Endpoint returnsListOf(Class<?> type) {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        tag,
        status,
        signedIn,
        requestType,
        type,
        true,
        query,
        takesIdempotencyKey,
        handler);
  }

  public Endpoint queryParameter(String name, String type, String description) {
    List<QueryParameter> q = new ArrayList<>(query);
    q.add(new QueryParameter(name, type, description));
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        tag,
        status,
        signedIn,
        requestType,
        responseType,
        responseIsList,
        q,
        takesIdempotencyKey,
        handler);
  }

  /**
   * A creating POST: a retry with the same {@code Idempotency-Key} answers the first result (see
   * {@link IdempotencyKeys}).
   */
  public Endpoint idempotent() {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        tag,
        status,
        signedIn,
        requestType,
        responseType,
        responseIsList,
        query,
        true,
        handler);
  }

  public Endpoint handle(Handler value) {
    return new Endpoint(
        method,
        path,
        operationId,
        summary,
        tag,
        status,
        signedIn,
        requestType,
        responseType,
        responseIsList,
        query,
        takesIdempotencyKey,
        value);
  }

  /** The names of the path's {@code {parameters}}, in order. */
  public List<String> pathParameters() {
    List<String> names = new ArrayList<>();
    Matcher m = PARAM.matcher(path);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** The path's segments after the leading slash. */
  List<String> segments() {
    return List.of(path.substring(1).split("/"));
  }
}
