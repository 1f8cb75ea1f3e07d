package dev.foundry.backend.http.auth;

import dev.foundry.backend.config.FoundrySettings;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Cookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookiePair;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.model.headers.SetCookie;

/**
 * The session cookie {@value #NAME} ({@value #SECURE_NAME} when {@code Secure}): a random 256-bit
 * token that only the browser holds. The server stores the token's HMAC-SHA256 under {@code
 * foundry.auth.secret} as the session id, so a copy of the data directory holds no usable cookie,
 * and rotating the secret ends every session.
 *
 * <p>Attributes: {@code HttpOnly; SameSite=Lax; Path=/; Max-Age=<session ttl>}, plus {@code Secure}
 * when the API or the app is served over HTTPS. A secure cookie carries the {@code __Host-} prefix:
 * browsers then accept it only from a secure origin, with {@code Path=/} and no {@code Domain}, so
 * neither a sibling subdomain nor a plain-HTTP response can plant or overwrite it. Only the name in
 * use is read.
 */
public final class SessionCookie {
  public static final String NAME = "foundry_session";

  /** The name of the cookie when it is {@code Secure}. */
  public static final String SECURE_NAME = "__Host-" + NAME;

  /** 32 bytes in unpadded base64url. */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{43}");

  private static final SecureRandom RANDOM = new SecureRandom();

  private final boolean secure;
  private final Duration ttl;

  /**
   * The keyed HMAC that each derivation clones: every request derives its session id, and looking
   * up and keying a {@code Mac} each time cost more than the digest itself. A {@code Mac} is not
   * thread-safe, so this one is only cloned, never used. (Not a thread-local: the common pool,
   * where requests run too, erases its workers' thread-locals after each task.)
   */
  private final Mac keyed;

  public SessionCookie(String secret, boolean secure, Duration ttl) {
    SecretKeySpec key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    try {
      this.keyed = Mac.getInstance("HmacSHA256");
      keyed.init(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
    this.secure = secure;
    this.ttl = ttl;
  }

  public static SessionCookie from(FoundrySettings settings) {
    boolean https = isHttps(settings.apiUrl()) || isHttps(settings.appUrl());
    return new SessionCookie(settings.auth().secret(), https, settings.auth().sessionTtl());
  }

  private static boolean isHttps(String url) {
    return url != null && url.strip().toLowerCase(Locale.ROOT).startsWith("https://");
  }

  public Duration ttl() {
    return ttl;
  }

  public boolean secure() {
    return secure;
  }

  /** The cookie's name: {@link #SECURE_NAME} when secure, else {@link #NAME}. */
  public String name() {
    return secure ? SECURE_NAME : NAME;
  }

  /** A fresh token for a new session. */
  public String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The server-side session id of {@code token}. */
  public String sessionIdOf(String token) {
    Mac mac;
    try {
      mac = (Mac) keyed.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("the JDK's HmacSHA256 can be cloned", e);
    }
    byte[] digest = mac.doFinal(token.getBytes(StandardCharsets.US_ASCII));
    return "sess_" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
  }

  /** The well-formed session token of the request's cookies, if any. */
  public Optional<String> tokenOf(HttpRequest request) {
    for (HttpHeader header : request.getHeaders()) {
      if (header instanceof Cookie cookie) {
        for (HttpCookiePair pair : cookie.getCookies()) {
          if (name().equals(pair.name()) && TOKEN.matcher(pair.value()).matches()) {
            return Optional.of(pair.value());
          }
        }
      }
    }
    return Optional.empty();
  }

  /** The {@code Set-Cookie} header that hands {@code token} to the browser. */
  public HttpHeader issue(String token) {
    return SetCookie.create(cookie(token).withMaxAge(ttl.toSeconds()));
  }

  /** The {@code Set-Cookie} header that makes the browser forget the cookie. */
  public HttpHeader clear() {
    return SetCookie.create(cookie("").withMaxAge(0));
  }

  private HttpCookie cookie(String value) {
    // __Host- requires Secure, Path=/ and no Domain: set exactly so (no Domain is ever set).
    return HttpCookie.create(name(), value)
        .withPath("/")
        .withHttpOnly(true)
        .withSecure(secure)
        .withSameSite(SameSite.Lax);
  }
}
