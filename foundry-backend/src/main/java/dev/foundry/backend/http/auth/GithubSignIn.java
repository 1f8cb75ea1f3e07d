package dev.foundry.backend.http.auth;

import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.github.GitHubAccounts;
import dev.foundry.backend.github.GitHubException;
import dev.foundry.backend.github.GitHubMembershipSync;
import dev.foundry.backend.github.GitHubOAuth;
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
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
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
 *   <li>{@link #start}: a random {@code state} and PKCE verifier, the target and the expiry ({@code
 *       foundry.github.sign-in-timeout}) go to the browser sealed (AES-GCM, keyed by the auth
 *       secret) in a short-lived cookie, {@value #COOKIE} (HttpOnly, SameSite=Lax), and the browser
 *       is sent to GitHub's authorize page with the S256 challenge. Nothing is kept on the server,
 *       so the callback may reach any node of a cluster, or the server after a restart.
 *   <li>{@link #callback}: the {@code state} of the query must equal the sealed cookie's, unexpired
 *       and unused here; the code is exchanged with the verifier; the user, their e-mail and
 *       organizations are read and synced ({@link GitHubMembershipSync}); the session starts, the
 *       cookie is cleared, and the browser goes to {@code redirectTo}.
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

  /** Callbacks whose outcome is kept at most (each for OUTCOME_KEPT). */
  static final int MAX_OUTCOMES = 10_000;

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

  /** What a started sign-in needs at its callback: sealed in the browser's state cookie. */
  private record Pending(String state, String verifier, String redirectTo, Instant expiresAt) {}

  private record Outcome(String code, CompletableFuture<Redirect> redirect, Instant keptUntil) {}

  private final FoundrySettings settings;
  private final GitHubOAuth oauth;
  private final GitHubAccounts accounts;
  private final GitHubMembershipSync sync;
  private final CookieSessions sessions;
  private final Clock clock;
  private final SecretKeySpec sealKey;
  private final URI appUrl;
  private final String callbackUrl;
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
    this.sealKey = new SecretKeySpec(sha256("github-state\n" + settings.auth().secret()), "AES");
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
    String state = random(32);
    String verifier = random(48);
    Pending started = new Pending(state, verifier, target, clock.instant().plus(timeout()));
    URI authorize = oauth.authorizeUrl(callbackUrl, state, challenge(verifier));
    return new Redirect(
        authorize.toString(),
        List.of(SetCookie.create(stateCookie(seal(started), timeout().toSeconds()))));
  }

  /** Ends a sign-in: GitHub's redirect back, with {@code code} and {@code state} or an error. */
  public CompletionStage<Redirect> callback(HttpRequest request, Map<String, String> query) {
    String state = query.get("state");
    String code = query.get("code");
    String error = query.get("error");
    Optional<Pending> bound = cookiePending(request);
    if (state == null
        || bound.isEmpty()
        || !MessageDigest.isEqual(
            state.getBytes(StandardCharsets.UTF_8),
            bound.get().state().getBytes(StandardCharsets.UTF_8))) {
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
      Pending started = bound.get();
      forgetExpired();
      if (outcomes.size() >= MAX_OUTCOMES) {
        // A flood of callbacks: each keeps its outcome for a while; refuse rather than grow.
        return done(failure("too_many_sign_ins"));
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

  /** The sign-in the browser's cookie carries, if this server sealed it. */
  private Optional<Pending> cookiePending(HttpRequest request) {
    for (HttpHeader header : request.getHeaders()) {
      if (header instanceof Cookie cookie) {
        for (HttpCookiePair pair : cookie.getCookies()) {
          if (cookieName().equals(pair.name())) {
            Optional<Pending> opened = open(pair.value());
            if (opened.isPresent()) {
              return opened;
            }
          }
        }
      }
    }
    return Optional.empty();
  }

  /** base64url(iv || AES-GCM(state, verifier, expiry, target)), bound to the cookie's name. */
  private String seal(Pending p) {
    String plain =
        String.join(
            "\n",
            p.state(),
            p.verifier(),
            Long.toString(p.expiresAt().toEpochMilli()),
            p.redirectTo());
    try {
      byte[] iv = new byte[12];
      RANDOM.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, sealKey, new GCMParameterSpec(128, iv));
      cipher.updateAAD(COOKIE.getBytes(StandardCharsets.US_ASCII));
      byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[iv.length + sealed.length];
      System.arraycopy(iv, 0, out, 0, iv.length);
      System.arraycopy(sealed, 0, out, iv.length, sealed.length);
      return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is part of every JDK", e);
    }
  }

  /** The sealed sign-in, or empty for anything this server did not seal (forged, garbled, old). */
  private Optional<Pending> open(String value) {
    try {
      byte[] in = Base64.getUrlDecoder().decode(value);
      if (in.length <= 12 + 16) {
        return Optional.empty();
      }
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, sealKey, new GCMParameterSpec(128, in, 0, 12));
      cipher.updateAAD(COOKIE.getBytes(StandardCharsets.US_ASCII));
      String plain = new String(cipher.doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8);
      String[] parts = plain.split("\n", 4);
      if (parts.length != 4) {
        return Optional.empty();
      }
      return Optional.of(
          new Pending(
              parts[0], parts[1], parts[3], Instant.ofEpochMilli(Long.parseLong(parts[2]))));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return Optional.empty();
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
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
