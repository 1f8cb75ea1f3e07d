package dev.foundry.backend.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * The OAuth web flow against {@code GITHUB_SERVER_URL} (github.com or a GitHub Enterprise Server):
 * the authorize URL the browser is sent to, and the exchange of the callback's code (with the PKCE
 * verifier) for the user's access token.
 */
public final class GitHubOAuth {
  /** What Foundry asks for: the user's organizations and their repositories (clone, push). */
  public static final String SCOPE = "read:org repo";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The user's token, its scopes, and its expiry in seconds (0: GitHub set none). */
  public record AccessToken(String token, String scope, long expiresIn) {
    @Override
    public String toString() {
      return "AccessToken[***, scope=" + scope + "]";
    }
  }

  private final HttpClient http;
  private final URI serverUrl;
  private final String clientId;
  private final String clientSecret;
  private final Duration timeout;

  public GitHubOAuth(
      HttpClient http, URI serverUrl, String clientId, String clientSecret, Duration timeout) {
    this.http = http;
    String base = serverUrl.toString();
    this.serverUrl = URI.create(base.endsWith("/") ? base : base + "/");
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.timeout = timeout;
  }

  /** Where the browser authorizes Foundry: {@code /login/oauth/authorize} with PKCE S256. */
  public URI authorizeUrl(String redirectUri, String state, String codeChallenge) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("client_id", clientId);
    q.put("redirect_uri", redirectUri);
    q.put("scope", SCOPE);
    q.put("state", state);
    q.put("code_challenge", codeChallenge);
    q.put("code_challenge_method", "S256");
    q.put("allow_signup", "true");
    return serverUrl.resolve("login/oauth/authorize?" + form(q));
  }

  /** {@code POST /login/oauth/access_token}: the code (single use at GitHub) for a token. */
  public CompletionStage<AccessToken> exchange(String code, String redirectUri, String verifier) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("client_id", clientId);
    q.put("client_secret", clientSecret);
    q.put("code", code);
    q.put("redirect_uri", redirectUri);
    q.put("code_verifier", verifier);
    HttpRequest request =
        HttpRequest.newBuilder(serverUrl.resolve("login/oauth/access_token"))
            .timeout(timeout)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("User-Agent", "foundry-backend")
            .POST(HttpRequest.BodyPublishers.ofString(form(q)))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException ? failure.getCause() : failure;
                throw new GitHubException(
                    "POST /login/oauth/access_token: GitHub unreachable: " + cause, cause);
              }
              JsonNode body;
              try {
                body = JSON.readTree(response.body());
              } catch (IOException | RuntimeException e) {
                body = JSON.createObjectNode();
              }
              // GitHub answers 200 with an "error" field for a bad or used code.
              if (response.statusCode() != 200 || body.hasNonNull("error")) {
                String said =
                    body.path("error_description").asText(body.path("error").asText("no message"));
                throw new GitHubException(
                    response.statusCode() == 200 ? 400 : response.statusCode(),
                    "POST /login/oauth/access_token answered "
                        + response.statusCode()
                        + ": "
                        + said);
              }
              String token = body.path("access_token").asText("");
              if (token.isEmpty()) {
                throw new GitHubException(502, "GitHub's token answer has no access_token");
              }
              return new AccessToken(
                  token, body.path("scope").asText(""), body.path("expires_in").asLong(0));
            });
  }

  private static String form(Map<String, String> q) {
    return q.entrySet().stream()
        .map(
            e ->
                URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }
}
