package dev.foundry.backend.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's one client of GitHub's REST API ({@code GITHUB_API_URL}), a thin layer on {@code
 * java.net.http} (docs/github.md says why not a library). What every caller gets:
 *
 * <ul>
 *   <li>timeouts on connecting and on each request;
 *   <li>{@link #getAll} follows {@code Link: rel="next"} pages;
 *   <li>rate limits: a response with {@code X-RateLimit-Remaining: 0} holds the next requests until
 *       {@code X-RateLimit-Reset}; a 403/429 rate-limit answer (primary, or secondary with {@code
 *       Retry-After}) is retried after the wait GitHub names, at most {@link
 *       #MAX_RATE_LIMIT_RETRIES} times and never for longer than {@code maxRateLimitWait};
 *   <li>conditional GETs: the last {@code ETag} of a URL (per credential) is sent as {@code
 *       If-None-Match}, and a {@code 304} answers the cached body (it does not count against the
 *       rate limit);
 *   <li>a {@link GitHubException} naming the request and GitHub's own {@code message}.
 * </ul>
 */
public final class GitHubClient {
  private static final Logger log = LoggerFactory.getLogger(GitHubClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"next\"");
  static final int MAX_RATE_LIMIT_RETRIES = 3;
  private static final int ETAG_CACHE_SIZE = 512;
  private static final int MAX_PAGES = 100;

  /** A GitHub answer: status, JSON body (missing when empty) and headers. */
  public record Answer(int status, JsonNode body, HttpResponse<String> raw) {
    public Optional<String> header(String name) {
      return raw.headers().firstValue(name);
    }
  }

  private record Cached(String etag, JsonNode body, String next) {}

  private final HttpClient http;
  private final URI apiUrl;
  private final Duration requestTimeout;
  private final Duration maxRateLimitWait;
  private final Clock clock;
  private final Executor executor;
  private final Map<String, Cached> etags =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
          return size() > ETAG_CACHE_SIZE;
        }
      };
  private volatile Instant blockedUntil = Instant.EPOCH;

  /**
   * @param apiUrl {@code GITHUB_API_URL}, e.g. {@code https://api.github.com} or {@code
   *     https://ghe.example.com/api/v3}
   * @param maxRateLimitWait the longest wait for a rate limit to lift before a request fails
   */
  public GitHubClient(
      HttpClient http,
      URI apiUrl,
      Duration requestTimeout,
      Duration maxRateLimitWait,
      Clock clock,
      Executor executor) {
    this.http = http;
    String base = apiUrl.toString();
    this.apiUrl = URI.create(base.endsWith("/") ? base : base + "/");
    this.requestTimeout = requestTimeout;
    this.maxRateLimitWait = maxRateLimitWait;
    this.clock = clock;
    this.executor = executor;
  }

  public static HttpClient httpClient(Duration connectTimeout, Executor executor) {
    return HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .executor(executor)
        .build();
  }

  public URI apiUrl() {
    return apiUrl;
  }

  /** {@code GET path} with {@code token} as bearer (user token, installation token or app JWT). */
  public CompletionStage<JsonNode> get(String path, String token) {
    return getPage(resolve(path), token).thenApply(Cached::body);
  }

  /** Every element of a paginated array resource, following {@code Link: rel="next"}. */
  public CompletionStage<List<JsonNode>> getAll(String path, String token) {
    List<JsonNode> all = new ArrayList<>();
    return pages(resolve(path), token, all, 0).thenApply(v -> all);
  }

  private CompletionStage<Void> pages(URI url, String token, List<JsonNode> all, int page) {
    if (page >= MAX_PAGES) {
      return CompletableFuture.failedFuture(
          new GitHubException(0, "GET " + url.getPath() + ": more than " + MAX_PAGES + " pages"));
    }
    return getPage(url, token)
        .thenCompose(
            cached -> {
              JsonNode body = cached.body();
              // Search-style pages wrap the array; the others are the array.
              JsonNode items = body.isArray() ? body : firstArray(body);
              items.forEach(all::add);
              return cached.next() == null
                  ? CompletableFuture.completedFuture(null)
                  : pages(URI.create(cached.next()), token, all, page + 1);
            });
  }

  private static JsonNode firstArray(JsonNode body) {
    for (JsonNode field : body) {
      if (field.isArray()) {
        return field;
      }
    }
    return JSON.createArrayNode();
  }

  /** {@code POST path} with a JSON body; answers the JSON GitHub returns. */
  public CompletionStage<JsonNode> post(String path, String token, Object body) {
    String json;
    try {
      json = body == null ? "" : JSON.writeValueAsString(body);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    HttpRequest.Builder request =
        base(resolve(path), token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    return send("POST", request, 0).thenApply(a -> checked("POST", path, a).body());
  }

  private CompletionStage<Cached> getPage(URI url, String token) {
    String cacheKey = fingerprint(token) + " " + url;
    Cached known;
    synchronized (etags) {
      known = etags.get(cacheKey);
    }
    HttpRequest.Builder request = base(url, token).GET();
    if (known != null) {
      request.header("If-None-Match", known.etag());
    }
    return send("GET", request, 0)
        .thenApply(
            answer -> {
              if (answer.status() == 304 && known != null) {
                return known;
              }
              checked("GET", url.getPath(), answer);
              Cached fresh =
                  new Cached(answer.header("ETag").orElse(null), answer.body(), next(answer));
              if (fresh.etag() != null) {
                synchronized (etags) {
                  etags.put(cacheKey, fresh);
                }
              }
              return fresh;
            });
  }

  private static String next(Answer answer) {
    return answer
        .header("Link")
        .map(NEXT::matcher)
        .filter(Matcher::find)
        .map(m -> m.group(1))
        .orElse(null);
  }

  private HttpRequest.Builder base(URI url, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(url)
            .timeout(requestTimeout)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header("User-Agent", "foundry-backend");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private URI resolve(String path) {
    return apiUrl.resolve(path.startsWith("/") ? path.substring(1) : path);
  }

  /** Sends once the rate limit allows, retrying rate-limit answers after GitHub's wait. */
  private CompletionStage<Answer> send(String method, HttpRequest.Builder request, int attempt) {
    Duration hold = Duration.between(clock.instant(), blockedUntil);
    if (!hold.isNegative() && !hold.isZero()) {
      if (hold.compareTo(maxRateLimitWait) > 0) {
        return CompletableFuture.failedFuture(
            new GitHubException(
                403,
                "GitHub's rate limit is exhausted until "
                    + blockedUntil
                    + "; not waiting longer than "
                    + maxRateLimitWait.toSeconds()
                    + "s",
                true));
      }
      return later(hold).thenCompose(v -> send(method, request, attempt));
    }
    HttpRequest built = request.build();
    return http.sendAsync(built, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
        .handle(
            (response, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException ? failure.getCause() : failure;
                throw new GitHubException(
                    method + " " + built.uri().getPath() + ": GitHub unreachable: " + cause, cause);
              }
              return new Answer(response.statusCode(), parse(response.body()), response);
            })
        .thenCompose(
            answer -> {
              noteRemaining(answer);
              Optional<Duration> wait = rateLimitWait(answer);
              if (wait.isEmpty()) {
                return CompletableFuture.completedFuture(answer);
              }
              if (attempt >= MAX_RATE_LIMIT_RETRIES || wait.get().compareTo(maxRateLimitWait) > 0) {
                return CompletableFuture.completedFuture(answer);
              }
              log.info(
                  "GitHub rate limit on {} {}: retrying in {} ms",
                  method,
                  built.uri().getPath(),
                  wait.get().toMillis());
              return later(wait.get()).thenCompose(v -> send(method, request, attempt + 1));
            });
  }

  /** A response that spent the last request holds the following ones until the reset. */
  private void noteRemaining(Answer answer) {
    Optional<String> remaining = answer.header("X-RateLimit-Remaining");
    Optional<String> reset = answer.header("X-RateLimit-Reset");
    if (remaining.isPresent() && remaining.get().trim().equals("0") && reset.isPresent()) {
      try {
        Instant until = Instant.ofEpochSecond(Long.parseLong(reset.get().trim()));
        if (until.isAfter(blockedUntil)) {
          blockedUntil = until;
        }
      } catch (NumberFormatException e) {
        // a malformed header holds nothing
      }
    }
  }

  /**
   * How long GitHub asks to wait before retrying: {@code Retry-After} (secondary limits, 429), or
   * the primary limit's reset when it is exhausted. Empty when the answer is no rate limit.
   */
  Optional<Duration> rateLimitWait(Answer answer) {
    if (answer.status() != 403 && answer.status() != 429) {
      return Optional.empty();
    }
    Optional<String> retryAfter = answer.header("Retry-After");
    if (retryAfter.isPresent()) {
      try {
        return Optional.of(
            Duration.ofSeconds(Math.max(0, Long.parseLong(retryAfter.get().trim()))));
      } catch (NumberFormatException e) {
        return Optional.of(Duration.ofSeconds(60));
      }
    }
    if (answer.header("X-RateLimit-Remaining").map(r -> r.trim().equals("0")).orElse(false)) {
      Duration untilReset = Duration.between(clock.instant(), blockedUntil);
      return Optional.of(untilReset.isNegative() ? Duration.ZERO : untilReset);
    }
    if (answer.status() == 429) {
      return Optional.of(Duration.ofSeconds(60));
    }
    return Optional.empty();
  }

  private CompletableFuture<Void> later(Duration wait) {
    return CompletableFuture.runAsync(
        () -> {},
        CompletableFuture.delayedExecutor(wait.toMillis(), TimeUnit.MILLISECONDS, executor));
  }

  private Answer checked(String method, String path, Answer answer) {
    if (answer.status() >= 200 && answer.status() < 300) {
      return answer;
    }
    String said = answer.body().path("message").asText("");
    // A 422 names what failed validation in errors[].message ("No commits between main and x").
    for (JsonNode error : answer.body().path("errors")) {
      String detail = error.path("message").asText("");
      if (!detail.isEmpty()) {
        said = said.isEmpty() ? detail : said + ": " + detail;
      }
    }
    if (said.isEmpty()) {
      said = "no message";
    }
    throw new GitHubException(
        answer.status(),
        method + " " + path + " answered " + answer.status() + ": " + said,
        rateLimitWait(answer).isPresent());
  }

  private static JsonNode parse(String text) {
    if (text == null || text.isBlank()) {
      return MissingNode.getInstance();
    }
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      return JSON.createObjectNode().put("message", abbreviate(text));
    }
  }

  private static String abbreviate(String text) {
    String t = text.strip();
    return t.length() > 200 ? t.substring(0, 200) + "..." : t;
  }

  /** The cache is per credential without keeping the credential: its SHA-256. */
  private static String fingerprint(String token) {
    if (token == null) {
      return "-";
    }
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
