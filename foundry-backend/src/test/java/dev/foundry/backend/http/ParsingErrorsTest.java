package dev.foundry.backend.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests Pekko HTTP refuses before routing (found by {@code OpenApiFuzzTest}) answer in the API's
 * error shape over a real socket, not in plain text.
 */
class ParsingErrorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path dir;
  private static ApiServer server;

  @BeforeAll
  static void start() {
    server = ApiServer.start(dir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(
        request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder to(String path) {
    return HttpRequest.newBuilder(URI.create(server.base() + path));
  }

  private static void assertError(HttpResponse<String> r, int status, String code)
      throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.path("code").asText()).isEqualTo(code);
    assertThat(error.path("message").asText()).isNotBlank();
  }

  @Test
  void aUriBeyondTheLimitIsAJsonError() throws Exception {
    assertError(send(to("/v1/organizations/" + "x".repeat(5000)).GET()), 414, "uri_too_long");
  }

  @Test
  void aHeaderBeyondTheLimitIsAJsonError() throws Exception {
    assertError(
        send(to("/v1/health").header("X-Big", "h".repeat(20_000)).GET()), 431, "headers_too_large");
  }

  @Test
  void aMethodHttpDoesNotKnowIsAJsonError() throws Exception {
    assertError(
        send(to("/v1/health").method("PROPFIND", HttpRequest.BodyPublishers.noBody())),
        501,
        "method_not_implemented");
  }

  @Test
  void aTraceWithABodyIsAJsonError() throws Exception {
    HttpResponse<String> r =
        send(to("/v1/health").method("TRACE", HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(r.statusCode()).isBetween(400, 499);
    assertError(r, r.statusCode(), "malformed_request");
  }
}
