package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sign-in, the session cookie and sign-out over a real socket, on the real backend. */
class AuthRoutesTest {
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

  private static String login() {
    return "dev-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void devSignInSetsAnHttpOnlyLaxSessionCookieAndAnswersTheUser() {
    Browser browser = server.browser();
    String login = login();
    Answer signIn = browser.signIn(login);

    assertThat(signIn.status()).as(signIn.toString()).isEqualTo(200);
    assertThat(signIn.json().path("user").path("id").asText()).isEqualTo("local-" + login);
    assertThat(signIn.json().path("activeOrganizationId").asText()).isEqualTo("personal-" + login);
    String cookie = signIn.setCookies().get(0);
    assertThat(cookie)
        .startsWith("foundry_session=")
        .contains("HttpOnly")
        .contains("SameSite=Lax")
        .contains("Path=/")
        .contains("Max-Age=" + 30L * 24 * 3600)
        .doesNotContain("Secure");
    // 256 random bits in base64url.
    assertThat(browser.cookie()).matches("[A-Za-z0-9_-]{43}");
    assertThat(signIn.raw().headers().firstValue("cache-control")).contains("no-store");

    Answer session = browser.get("/v1/auth/session");
    assertThat(session.status()).isEqualTo(200);
    assertThat(session.json().path("user").path("githubLogin").asText()).isEqualTo(login);
    assertThat(session.json().path("activeOrganizationId").asText()).isEqualTo("personal-" + login);
  }

  @Test
  void withoutACookieTheSessionIsA401() {
    Answer answer = server.browser().get("/v1/auth/session");
    assertThat(answer.status()).isEqualTo(401);
    assertThat(answer.errorCode()).isEqualTo("not_signed_in");
  }

  @Test
  void anUnknownOrMalformedCookieIsA401() {
    Browser forged = server.browser().withCookie("A".repeat(43));
    assertThat(forged.get("/v1/auth/session").status()).isEqualTo(401);
    Browser garbage = server.browser().withCookie("not-a-token");
    assertThat(garbage.get("/v1/app").status()).isEqualTo(401);
  }

  @Test
  void signOutEndsTheSessionServerSideAndClearsTheCookie() {
    Browser browser = server.browser();
    browser.signIn(login());
    String stolen = browser.cookie();

    Answer out = browser.post("/v1/auth/sign-out", null);
    assertThat(out.status()).isEqualTo(204);
    assertThat(out.setCookies().get(0)).startsWith("foundry_session=;").contains("Max-Age=0");
    assertThat(browser.cookie()).isNull();

    // A copy of the old cookie no longer works: the session is gone on the server.
    Answer replay = server.browser().withCookie(stolen).get("/v1/auth/session");
    assertThat(replay.status()).isEqualTo(401);
    // Signing out again (no session) is harmless.
    assertThat(server.browser().post("/v1/auth/sign-out", null).status()).isEqualTo(204);
  }

  @Test
  void signingInAgainEndsThePreviousSessionOfThatBrowser() {
    Browser browser = server.browser();
    browser.signIn(login());
    String first = browser.cookie();
    browser.signIn(login());
    assertThat(browser.cookie()).isNotEqualTo(first);
    assertThat(server.browser().withCookie(first).get("/v1/auth/session").status()).isEqualTo(401);
    assertThat(browser.get("/v1/auth/session").status()).isEqualTo(200);
  }

  @Test
  void devSignInRefusesBadInput() {
    Browser b = server.browser();
    assertThat(b.post("/v1/auth/dev/sign-in", "{}").errorCode()).isEqualTo("missing_field");
    assertThat(b.post("/v1/auth/dev/sign-in", "{\"login\":null}").status()).isEqualTo(400);
    assertThat(b.post("/v1/auth/dev/sign-in", "{\"login\":42}").errorCode())
        .isEqualTo("invalid_field");
    assertThat(b.post("/v1/auth/dev/sign-in", "{\"login\":\"a\",\"admin\":true}").errorCode())
        .isEqualTo("unknown_field");
    assertThat(b.post("/v1/auth/dev/sign-in", "{\"login\":").errorCode())
        .isEqualTo("malformed_json");
    assertThat(b.post("/v1/auth/dev/sign-in", "[1]").status()).isEqualTo(400);
    Answer blank = b.post("/v1/auth/dev/sign-in", "{\"login\":\"  \"}");
    assertThat(blank.status()).isEqualTo(422);
    assertThat(blank.errorCode()).isEqualTo("invalid_login");
    assertThat(b.post("/v1/auth/dev/sign-in", "{\"login\":\"" + "a".repeat(40) + "\"}").status())
        .isEqualTo(422);
    assertThat(b.post("/v1/auth/dev/sign-in", "{\"login\":\"../etc\"}").status()).isEqualTo(422);
    Answer text = b.send("POST", "/v1/auth/dev/sign-in", "{\"login\":\"x\"}", "text/plain");
    assertThat(text.status()).isEqualTo(415);
    assertThat(b.cookie()).isNull();
  }

  @Test
  void anOversizeBodyIsA413() {
    String big = "{\"login\":\"" + "a".repeat(2 * 1024 * 1024) + "\"}";
    Answer answer = server.browser().post("/v1/auth/dev/sign-in", big);
    assertThat(answer.status()).isEqualTo(413);
    assertThat(answer.errorCode()).isEqualTo("payload_too_large");
  }

  @Test
  void devSignInIsA404WhenDevAuthIsOff(@TempDir Path other) {
    try (ApiServer off = ApiServer.start(other, Map.of("FOUNDRY_DEV_AUTH", "false"))) {
      Answer answer = off.browser().signIn("alice");
      assertThat(answer.status()).isEqualTo(404);
      assertThat(answer.errorCode()).isEqualTo("not_found");
      assertThat(answer.setCookies()).isEmpty();
      assertThat(answer.json().path("error").path("message").asText()).isEqualTo("no such route");
      assertThat(off.browser().get("/v1/openapi.json").text()).doesNotContain("devSignIn");
    }
  }

  @Test
  void anExpiredSessionIsRefused(@TempDir Path other) throws Exception {
    try (ApiServer shortLived = ApiServer.start(other, Map.of("FOUNDRY_SESSION_TTL", "1s"))) {
      Browser browser = shortLived.browser();
      Answer signIn = browser.signIn("short");
      assertThat(signIn.setCookies().get(0)).contains("Max-Age=1");
      assertThat(browser.get("/v1/auth/session").status()).isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> browser.get("/v1/auth/session").status() == 401);
    }
  }
}
