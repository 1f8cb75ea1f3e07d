package dev.foundry.backend.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A browser of one user: keeps the {@code foundry_session} cookie (or {@code
 * __Host-foundry_session}, its secure name) the server sets and sends it back, over a real socket.
 */
public final class Browser {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private final String base;
  private String cookie;
  private String cookieName = "foundry_session";
  private Duration timeout = Duration.ofSeconds(60);

  public Browser(String base) {
    this.base = base;
  }

  /** What came back: status, body (parsed when JSON), headers. */
  public record Answer(int status, String text, JsonNode json, HttpResponse<String> raw) {
    public String errorCode() {
      return json == null ? null : json.path("error").path("code").asText(null);
    }

    public List<String> setCookies() {
      return raw.headers().allValues("set-cookie");
    }

    @Override
    public String toString() {
      return status + " " + text;
    }
  }

  /**
   * How long one request may take before it fails (60 s unless set): a client that retries
   * elsewhere, like the cluster tests' load, gives up sooner.
   */
  public Browser withTimeout(Duration timeout) {
    this.timeout = timeout;
    return this;
  }

  public String cookie() {
    return cookie;
  }

  public Browser withCookie(String value) {
    this.cookie = value;
    return this;
  }

  /** Signs in a local user (dev sign-in) and keeps the cookie. */
  public Answer signIn(String login) {
    return post("/v1/auth/dev/sign-in", "{\"login\":\"" + login + "\"}");
  }

  public Answer get(String path) {
    return send("GET", path, null, null);
  }

  public Answer post(String path, String json) {
    return send("POST", path, json, "application/json");
  }

  public Answer put(String path, String json) {
    return send("PUT", path, json, "application/json");
  }

  public Answer patch(String path, String json) {
    return send("PATCH", path, json, "application/json");
  }

  public Answer delete(String path) {
    return send("DELETE", path, null, null);
  }

  /** The name of the session cookie the server set last. */
  public String cookieName() {
    return cookieName;
  }

  /** A JSON POST with more headers: name, value, name, value, … (a name may repeat). */
  public Answer post(String path, String json, String... headers) {
    return send("POST", path, json, "application/json", headers);
  }

  /** A request with extra headers (a browser's {@code Origin}, {@code Sec-Fetch-Site}, ...). */
  public Answer send(
      String method, String path, String body, String contentType, Map<String, String> headers) {
    List<String> pairs = new ArrayList<>();
    headers.forEach(
        (name, value) -> {
          pairs.add(name);
          pairs.add(value);
        });
    return send(method, path, body, contentType, pairs.toArray(String[]::new));
  }

  /** A request with extra headers: name, value, name, value, … (a name may repeat). */
  public Answer send(
      String method, String path, String body, String contentType, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    if (cookie != null) {
      b.header("Cookie", cookieName + "=" + cookie);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      for (String c : r.headers().allValues("set-cookie")) {
        for (String name : List.of("foundry_session", "__Host-foundry_session")) {
          if (c.startsWith(name + "=")) {
            String value = c.substring(name.length() + 1, c.indexOf(';'));
            cookie = value.isEmpty() ? null : value;
            cookieName = name;
          }
        }
      }
      JsonNode json = null;
      Optional<String> type = r.headers().firstValue("content-type");
      if (type.isPresent() && type.get().startsWith("application/json") && !r.body().isEmpty()) {
        json = JSON.readTree(r.body());
      }
      return new Answer(r.statusCode(), r.body(), json, r);
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    }
  }
}
