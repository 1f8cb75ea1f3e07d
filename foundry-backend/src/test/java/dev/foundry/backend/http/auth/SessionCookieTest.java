package dev.foundry.backend.http.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Cookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookiePair;
import org.junit.jupiter.api.Test;

class SessionCookieTest {
  private final SessionCookie cookie = new SessionCookie("secret-1", false, Duration.ofDays(30));

  @Test
  void tokensAreRandom256BitValuesAndOnlyTheirHmacIsStored() {
    String a = cookie.newToken();
    String b = cookie.newToken();
    assertThat(a).isNotEqualTo(b).matches("[A-Za-z0-9_-]{43}");
    assertThat(cookie.sessionIdOf(a)).isEqualTo(cookie.sessionIdOf(a)).doesNotContain(a);
    SessionCookie rotated = new SessionCookie("secret-2", false, Duration.ofDays(30));
    assertThat(rotated.sessionIdOf(a)).isNotEqualTo(cookie.sessionIdOf(a));
  }

  @Test
  void theCookieIsSecureOnlyOverHttps() {
    assertThat(cookie.issue("t").value()).doesNotContain("Secure").contains("HttpOnly");
    SessionCookie https = new SessionCookie("s", true, Duration.ofHours(1));
    assertThat(https.issue("t").value())
        .contains("Secure")
        .contains("SameSite=Lax")
        .contains("Max-Age=3600");
  }

  @Test
  void onlyAWellFormedTokenIsRead() {
    String token = cookie.newToken();
    HttpRequest ok =
        HttpRequest.create("/")
            .addHeader(
                Cookie.create(
                    HttpCookiePair.create("other", "x"),
                    HttpCookiePair.create(SessionCookie.NAME, token)));
    assertThat(cookie.tokenOf(ok)).contains(token);
    HttpRequest bad =
        HttpRequest.create("/").addHeader(Cookie.create(SessionCookie.NAME, "not-a-token"));
    assertThat(cookie.tokenOf(bad)).isEmpty();
  }
}
