package dev.foundry.sandbox.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/**
 * The HTTP wire shared by the API classes: builds authorised requests with a deadline, sends them
 * asynchronously, and turns error responses into {@link SandboxAgentException}s. Public because the
 * process, file system and ACP APIs live in sibling packages; application code uses {@link
 * SandboxAgentClient} instead.
 *
 * <p>Futures returned here complete on the executor given to the client, never on the common
 * ForkJoinPool: on 2 cores that pool is a measured throughput trap (DESIGN §7).
 */
public final class SandboxAgentHttp {

  /** One mapper for the module: the server re-serialises with sorted keys and adds fields. */
  public static final ObjectMapper JSON =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  private final SandboxAgentEndpoint endpoint;
  private final HttpClient client;
  private final Duration requestTimeout;
  private final Executor executor;

  SandboxAgentHttp(
      SandboxAgentEndpoint endpoint,
      Duration connectTimeout,
      Duration requestTimeout,
      Executor executor) {
    this.endpoint = endpoint;
    this.requestTimeout = requestTimeout;
    this.executor = executor;
    // HTTP/1.1 explicitly: the server speaks nothing else, and it spares the h2c upgrade dance.
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .executor(executor)
            .build();
  }

  public SandboxAgentEndpoint endpoint() {
    return endpoint;
  }

  public HttpClient client() {
    return client;
  }

  public Executor executor() {
    return executor;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** A request to {@code path} (with query) carrying the bearer token and the default deadline. */
  public HttpRequest.Builder request(String pathAndQuery) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(endpoint.baseUri() + pathAndQuery))
            .timeout(requestTimeout);
    endpoint.bearerToken().ifPresent(t -> builder.header("Authorization", "Bearer " + t));
    return builder;
  }

  /** {@code path?k=v&...} with each value URL-encoded; null values are left out. */
  public static String path(String path, Map<String, ?> query) {
    String q =
        query.entrySet().stream()
            .filter(e -> e.getValue() != null)
            .map(
                e ->
                    e.getKey()
                        + "="
                        + URLEncoder.encode(String.valueOf(e.getValue()), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    return q.isEmpty() ? path : path + "?" + q;
  }

  public static Map<String, Object> query(Object... keyValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put((String) keyValues[i], keyValues[i + 1]);
    }
    return map;
  }

  public static HttpRequest.BodyPublisher jsonBody(Object body) {
    try {
      return HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialise request body", e);
    }
  }

  /**
   * Sends the request; a 2xx response completes the future with its bytes, anything else fails it
   * with the mapped exception. {@code operation} names the call in error messages.
   */
  public CompletableFuture<HttpResponse<byte[]>> send(String operation, HttpRequest request) {
    CompletableFuture<HttpResponse<byte[]>> exchange =
        client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    CompletableFuture<HttpResponse<byte[]>> mapped =
        exchange.handleAsync(
            (response, failure) -> {
              if (failure != null) {
                throw mapFailure(operation, request, failure);
              }
              if (response.statusCode() / 100 != 2) {
                throw errorFromResponse(operation, response);
              }
              return response;
            },
            executor);
    // Cancelling the returned future aborts the HTTP exchange (the connection is closed), which is
    // what makes a hanging sandbox-agent request let go of its agent.
    mapped.whenComplete(
        (r, e) -> {
          if (mapped.isCancelled()) {
            exchange.cancel(true);
          }
        });
    return mapped;
  }

  /** Sends and reads the body as JSON ({@code NullNode} for an empty body). */
  public CompletableFuture<JsonNode> sendForJson(String operation, HttpRequest request) {
    return send(operation, request).thenApply(r -> readTree(operation, r.body()));
  }

  /** Sends and binds the JSON body to {@code type}. */
  public <T> CompletableFuture<T> sendForJson(
      String operation, HttpRequest request, Class<T> type) {
    return send(operation, request).thenApply(r -> read(operation, r.body(), type));
  }

  public static JsonNode readTree(String operation, byte[] body) {
    try {
      return body.length == 0 ? JSON.nullNode() : JSON.readTree(body);
    } catch (IOException e) {
      throw new SandboxAgentException(operation + ": response is not JSON", e);
    }
  }

  public static <T> T read(String operation, byte[] body, Class<T> type) {
    try {
      return JSON.readValue(body, type);
    } catch (IOException e) {
      throw new SandboxAgentException(operation + ": unexpected response shape", e);
    }
  }

  /** The typed exception for a non-2xx response (problem+json or axum's text/plain). */
  public static SandboxAgentException errorFromResponse(
      String operation, HttpResponse<byte[]> response) {
    String contentType = response.headers().firstValue("content-type").orElse("");
    byte[] body = response.body() == null ? new byte[0] : response.body();
    SandboxAgentProblem problem;
    if (contentType.contains("json") && body.length > 0) {
      try {
        problem = JSON.readValue(body, SandboxAgentProblem.class);
      } catch (IOException e) {
        problem =
            SandboxAgentProblem.plain(
                response.statusCode(), new String(body, StandardCharsets.UTF_8));
      }
    } else {
      problem =
          SandboxAgentProblem.plain(
              response.statusCode(), new String(body, StandardCharsets.UTF_8).strip());
    }
    return SandboxAgentException.fromResponse(operation, response.statusCode(), problem);
  }

  /** Turns transport failures into the typed exceptions; keeps ours as they are. */
  public static SandboxAgentException mapFailure(
      String operation, HttpRequest request, Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof SandboxAgentException) {
      return (SandboxAgentException) cause;
    }
    if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
      return new SandboxAgentUnreachableException(
          operation + ": cannot connect to " + request.uri().getAuthority(), cause);
    }
    if (cause instanceof HttpTimeoutException) {
      return new SandboxAgentTimeoutException(
          operation
              + ": no response within "
              + request.timeout().map(Duration::toString).orElse("the deadline"),
          cause);
    }
    if (cause instanceof IOException) {
      return new SandboxAgentUnreachableException(
          operation + ": I/O error talking to " + request.uri().getAuthority(), cause);
    }
    return new SandboxAgentException(operation + " failed", cause);
  }
}
