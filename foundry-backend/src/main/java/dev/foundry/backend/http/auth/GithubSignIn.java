package dev.foundry.backend.http.auth;

import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.github.GitHubAccounts;
import dev.foundry.backend.github.GitHubException;
import dev.foundry.backend.github.GitHubMembershipSync;
import dev.foundry.backend.github.GitHubOAuth;
import dev.foundry.backend.http.ApiException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Cookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookiePair;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.model.headers.SetCookie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GitHub OAuth web flow (docs/github.md has the sequence):
 *
 * <ol>
 *   <li>{@link #start}: a random {@code state} and PKCE verifier are kept here (for {@code
 *       foundry.github.sign-in-timeout}); the browser gets the state in a short-lived signed
 *       cookie, {@value #COOKIE} (HttpOnly, SameSite=Lax), and is sent to GitHub's authorize page
 *       with the S256 challenge.
 *   <li>{@link #callback}: the {@code state} of the query must equal the cookie's and be one this
 *       server issued and has not used (single use); the code is exchanged with the verifier; the
 *       user, their e-mail and organizations are read and synced ({@link GitHubMembershipSync});
 *       the session starts and the browser goes to {@code redirectTo}.
 * </ol>
 *
 * <p>A callback repeated with the same state and code (a proxy's retry) gets the first one's answer
 * (kept for {@link #OUTCOME_KEPT}), the same session cookie included; a different code with a used
 * state is a replay and is refused. Every failure (denied consent, a wrong, forged, replayed or
 * expired state, GitHub failing) ends in a redirect to {@code APP_URL/signin?error=<code>}, never a
 * 500.
 */
public final class GithubSignIn {
  private static final Logger log = LoggerFactory.getLogger(GithubSignIn.class);
  static final String COOKIE = "foundry_github_state";
  static final Duration OUTCOME_KEPT = Duration.ofMinutes(2);

  /**
   * Sign-ins in flight at most: each start keeps a little state until the sign-in timeout, so an
   * anonymous flood of starts is refused rather than allowed to grow memory.
   */
  static final int MAX_PENDING = 10_000;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Where the browser goes and the headers that go with it (cookies). */
  public record Redirect(String location, List<HttpHeader> headers) {
    public List<HttpHeader> allHeaders() {
      List<HttpHeader> all = new java.util.ArrayList<>();
      all.add(Location.create(location));
      all.addAll(headers);
      return all;
    }
  }

  /** A redirect target outside {@code APP_URL}: the request is refused (no open redirect). */
  public static final class InvalidRedirect extends RuntimeException {
    InvalidRedirect(String message) {
      super(message);
    }
  }

  private record Pending(String verifier, String redirectTo, Instant expiresAt) {}

  private record Outcome(String code, CompletableFuture<Redirect> redirect, Instant keptUntil) {}

  private final FoundrySettings settings;
  private final GitHubOAuth oauth;
  private final GitHubAccounts accounts;
  private final GitHubMembershipSync sync;
  private final CookieSessions sessions;
  private final Clock clock;
  private final SecretKeySpec key;
  private final URI appUrl;
  private final String callbackUrl;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();

  public GithubSignIn(
      FoundrySettings settings,
      GitHubOAuth oauth,
      GitHubAccounts accounts,
      GitHubMembershipSync sync,
      CookieSessions sessions,
      Clock clock) {
    this.settings = settings;
    this.oauth = oauth;
    this.accounts = accounts;
    this.sync = sync;
    this.sessions = sessions;
    this.clock = clock;
    this.key =
        new SecretKeySpec(
            ("github-state\n" + settings.auth().secret()).getBytes(StandardCharsets.UTF_8),
            "HmacSHA256");
    this.appUrl = URI.create(settings.appUrl());
    String redirect = settings.github().redirectUri();
    this.callbackUrl =
        redirect.isBlank()
            ? trimSlash(settings.apiUrl()) + "/v1/auth/callback/github"
            : redirect.strip();
  }

  public String callbackUrl() {
    return callbackUrl;
  }

  /**
   * Begins a sign-in: the redirect to GitHub and the state cookie.
   *
   * @throws InvalidRedirect when {@code redirectTo} leaves {@code APP_URL}
   */
  public Redirect start(String redirectTo) {
    String target = redirectTarget(redirectTo);
    forgetExpired();
    if (pending.size() >= MAX_PENDING) {
      throw new ApiException(
          StatusCodes.TOO_MANY_REQUESTS,
          "too_many_sign_ins",
          "too many GitHub sign-ins are in flight; try again in a few minutes");
    }
    String state = random(32);
    String verifier = random(48);
    pending.put(state, new Pending(verifier, target, clock.instant().plus(timeout())));
    URI authorize = oauth.authorizeUrl(callbackUrl, state, challenge(verifier));
    return new Redirect(
        authorize.toString(),
        List.of(SetCookie.create(stateCookie(state + "." + sign(state), timeout().toSeconds()))));
  }

  /** Ends a sign-in: GitHub's redirect back, with {@code code} and {@code state} or an error. */
  public CompletionStage<Redirect> callback(HttpRequest request, Map<String, String> query) {
    String state = query.get("state");
    String code = query.get("code");
    String error = query.get("error");
    Optional<String> bound = cookieState(request);
    if (state == null
        || bound.isEmpty()
        || !MessageDigest.isEqual(
            state.getBytes(StandardCharsets.UTF_8), bound.get().getBytes(StandardCharsets.UTF_8))) {
      log.info("GitHub sign-in callback refused: its state is not this browser's");
      return done(failure("invalid_state"));
    }
    Outcome outcome;
    synchronized (this) {
      Outcome earlier = outcomes.get(state);
      if (earlier != null && clock.instant().isBefore(earlier.keptUntil())) {
        if (String.valueOf(code).equals(earlier.code())) {
          return earlier.redirect(); // a retry of the same callback: the same answer
        }
        log.warn("GitHub sign-in callback refused: state replayed with another code");
        return done(failure("state_replayed"));
      }
      Pending started = pending.remove(state);
      if (started == null) {
        return done(failure("invalid_state"));
      }
      if (clock.instant().isAfter(started.expiresAt())) {
        return done(failure("sign_in_expired"));
      }
      outcome =
          new Outcome(
              String.valueOf(code), new CompletableFuture<>(), clock.instant().plus(OUTCOME_KEPT));
      outcomes.put(state, outcome);
      if (error != null) {
        // GitHub says why (access_denied when the user cancels): the app shows it.
        outcome
            .redirect()
            .complete(failure("access_denied".equals(error) ? error : "github_error"));
        return outcome.redirect();
      }
      if (code == null || code.isBlank()) {
        outcome.redirect().complete(failure("missing_code"));
        return outcome.redirect();
      }
      finish(request, code, started, outcome.redirect());
    }
    return outcome.redirect();
  }

  private void finish(
      HttpRequest request, String code, Pending started, CompletableFuture<Redirect> answer) {
    oauth
        .exchange(code, callbackUrl, started.verifier())
        .thenCompose(
            token ->
                accounts.viewer(token.token()).thenCompose(viewer -> sync.signIn(viewer, token)))
        .thenCompose(
            synced ->
                // A browser that was signed in as someone else loses that session first.
                sessions
                    .signOut(request)
                    .thenCompose(
                        ended ->
                            sessions.signInGithub(
                                synced.userId(),
                                synced.email(),
                                synced.accountId(),
                                synced.organizations().size() == 1
                                    ? synced.organizations().get(0)
                                    : null)))
        .whenComplete(
            (opened, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                log.warn("GitHub sign-in failed: {}", cause.getMessage());
                answer.complete(
                    failure(
                        cause instanceof GitHubException g && g.unauthorized()
                            ? "github_token_refused"
                            : "github_failed"));
              } else {
                log.info("{} signed in with GitHub", opened.userId());
                answer.complete(
                    new Redirect(
                        started.redirectTo(),
                        List.of(
                            sessions.cookie().issue(opened.token()),
                            SetCookie.create(stateCookie("", 0)))));
              }
            });
  }

  private Redirect failure(String code) {
    return new Redirect(
        trimSlash(settings.appUrl())
            + "/signin?error="
            + URLEncoder.encode(code, StandardCharsets.UTF_8),
        List.of(SetCookie.create(stateCookie("", 0))));
  }

  private static CompletionStage<Redirect> done(Redirect redirect) {
    return CompletableFuture.completedFuture(redirect);
  }

  /** {@code redirectTo} resolved against {@code APP_URL}; it must stay under it. */
  String redirectTarget(String redirectTo) {
    String base = trimSlash(settings.appUrl());
    if (redirectTo == null || redirectTo.isBlank()) {
      return base + "/organizations";
    }
    URI target;
    try {
      target = new URI(redirectTo.strip());
    } catch (URISyntaxException e) {
      throw new InvalidRedirect("redirectTo is not a URL");
    }
    if (!target.isAbsolute()) {
      String path = target.getRawPath() == null ? "" : target.getRawPath();
      if (!path.startsWith("/") || path.startsWith("//") || target.getRawAuthority() != null) {
        throw new InvalidRedirect(
            "redirectTo must be a path starting with / or a URL under APP_URL");
      }
      target = URI.create(base + target.toString());
    }
    String appPath = appUrl.getRawPath() == null ? "" : trimSlash(appUrl.getRawPath());
    String path = target.normalize().getRawPath() == null ? "" : target.normalize().getRawPath();
    boolean sameOrigin =
        lower(target.getScheme()).equals(lower(appUrl.getScheme()))
            && lower(target.getHost()).equals(lower(appUrl.getHost()))
            && port(target) == port(appUrl)
            && target.getRawUserInfo() == null;
    boolean underPath = appPath.isEmpty() || path.equals(appPath) || path.startsWith(appPath + "/");
    if (!sameOrigin || !underPath || path.contains("/../")) {
      throw new InvalidRedirect("redirectTo must stay under APP_URL (" + settings.appUrl() + ")");
    }
    return target.normalize().toString();
  }

  private static int port(URI uri) {
    if (uri.getPort() > 0) {
      return uri.getPort();
    }
    return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  private static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }

  private Duration timeout() {
    return settings.github().signInTimeout();
  }

  private void forgetExpired() {
    Instant now = clock.instant();
    pending.values().removeIf(p -> now.isAfter(p.expiresAt()));
    outcomes.values().removeIf(o -> now.isAfter(o.keptUntil()));
  }

  private String cookieName() {
    return sessions.cookie().secure() ? "__Host-" + COOKIE : COOKIE;
  }

  private HttpCookie stateCookie(String value, long maxAge) {
    return HttpCookie.create(cookieName(), value)
        .withPath("/")
        .withHttpOnly(true)
        .withSecure(sessions.cookie().secure())
        .withSameSite(SameSite.Lax)
        .withMaxAge(maxAge);
  }

  /** The state the browser's signed cookie holds, if the signature is this server's. */
  private Optional<String> cookieState(HttpRequest request) {
    for (HttpHeader header : request.getHeaders()) {
      if (header instanceof Cookie cookie) {
        for (HttpCookiePair pair : cookie.getCookies()) {
          if (cookieName().equals(pair.name())) {
            String value = pair.value();
            int dot = value.lastIndexOf('.');
            if (dot > 0) {
              String state = value.substring(0, dot);
              byte[] given = value.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
              if (MessageDigest.isEqual(given, sign(state).getBytes(StandardCharsets.US_ASCII))) {
                return Optional.of(state);
              }
            }
          }
        }
      }
    }
    return Optional.empty();
  }

  private String sign(String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** PKCE S256: base64url(SHA-256(verifier)). */
  static String challenge(String verifier) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String trimSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
