package dev.foundry.backend.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.FoundryApp;
import dev.foundry.backend.http.Browser.Answer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The HTTP edge over real sockets: which servers serve dev sign-in, the {@code Host} allow-list
 * (also on the WebSocket upgrade), cross-origin protection of state changes, and the {@code
 * __Host-} session cookie of an HTTPS deployment.
 */
class EdgeGuardTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PUBLIC_URL = "https://foundry.example.com";
  private static final String ADMIN_ORIGIN = "https://admin.example.com";

  @TempDir static Path dir;

  /** A loopback dev server with its defaults (APP_URL http://localhost:4173). */
  private static ApiServer dev;

  /** A server behind a reverse proxy: loopback bind, public HTTPS URLs, FOUNDRY_DEV_AUTH=auto. */
  private static ApiServer proxied;

  @BeforeAll
  static void start() {
    dev = ApiServer.start(dir.resolve("dev"), Map.of("FOUNDRY_ALLOWED_ORIGINS", ADMIN_ORIGIN));
    proxied =
        ApiServer.start(
            dir.resolve("proxied"),
            Map.of(
                "APP_URL", PUBLIC_URL,
                "BETTER_AUTH_URL", PUBLIC_URL,
                "FOUNDRY_ALLOWED_HOSTS", "10.0.0.7, internal.example:8080"));
  }

  @AfterAll
  static void stop() {
    dev.close();
    proxied.close();
  }

  // --- dev sign-in ---------------------------------------------------------------------------

  @Test
  void aProxiedPublicAppUrlHasNoDevSignIn() {
    Answer answer = proxied.browser().signIn("mallory");
    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.errorCode()).isEqualTo("not_found");
    assertThat(answer.setCookies()).isEmpty();
  }

  @Test
  void aLoopbackServerWithLoopbackUrlsHasDevSignIn() {
    assertThat(dev.browser().signIn("ada").status()).isEqualTo(200);
  }

  @Test
  void devSignInAskedForOnPurposeIsServedAndItsCookieIsHostPrefixedUnderHttps(@TempDir Path other) {
    Logger appLog = (Logger) LoggerFactory.getLogger(FoundryApp.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    appLog.addAppender(logged);
    ApiServer started;
    try {
      started =
          ApiServer.start(
              other,
              Map.of(
                  "APP_URL", PUBLIC_URL,
                  "BETTER_AUTH_URL", PUBLIC_URL,
                  "FOUNDRY_DEV_AUTH", "true"));
    } finally {
      appLog.detachAppender(logged);
    }
    // The start says, as a warning, that dev sign-in is on and why.
    assertThat(logged.list)
        .anySatisfy(
            e -> {
              assertThat(e.getLevel()).isEqualTo(Level.WARN);
              assertThat(e.getFormattedMessage())
                  .contains("dev sign-in is ON")
                  .contains("FOUNDRY_DEV_AUTH=true");
            });
    try (ApiServer forced = started) {
      Browser browser = forced.browser();
      Answer signIn = browser.signIn("ada");
      assertThat(signIn.status()).isEqualTo(200);
      String setCookie = signIn.setCookies().get(0);
      assertThat(setCookie)
          .startsWith("__Host-foundry_session=")
          .contains("Secure")
          .contains("Path=/")
          .doesNotContainIgnoringCase("Domain");
      assertThat(browser.cookieName()).isEqualTo("__Host-foundry_session");
      assertThat(browser.get("/v1/openapi.json").text())
          .contains("\"name\":\"__Host-foundry_session\"");
      assertThat(browser.get("/v1/auth/session").status()).isEqualTo(200);

      // The unprefixed name is not read: a cookie planted without the prefix signs in no one.
      Browser planted = new Browser(forced.base()).withCookie(browser.cookie());
      assertThat(planted.cookieName()).isEqualTo("foundry_session");
      assertThat(planted.get("/v1/auth/session").status()).isEqualTo(401);

      Answer out = browser.post("/v1/auth/sign-out", null);
      assertThat(out.setCookies().get(0)).startsWith("__Host-foundry_session=;").contains("Secure");
    }
  }

  @Test
  void aPlainHttpServerKeepsTheUnprefixedCookie() {
    Answer signIn = dev.browser().signIn("plain");
    assertThat(signIn.setCookies().get(0)).startsWith("foundry_session=").doesNotContain("Secure");
  }

  // --- Host allow-list -----------------------------------------------------------------------

  @Test
  void aForeignHostIsRefusedBeforeRouting() throws Exception {
    // DNS rebinding: a page of attacker.example resolved to 127.0.0.1.
    Raw answer = raw(dev, "GET", "/v1/app", "attacker.example:" + dev.app().port(), Map.of());
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.errorCode()).isEqualTo("host_not_allowed");
    // Before routing: an unknown route and a POST get the same answer, not a 404 or 401.
    assertThat(raw(dev, "POST", "/v1/nowhere", "attacker.example", Map.of()).errorCode())
        .isEqualTo("host_not_allowed");
    assertThat(raw(proxied, "GET", "/v1/openapi.json", "evil.example", Map.of()).status())
        .isEqualTo(400);
  }

  @Test
  void loopbackNamesAreAllowedOnALoopbackBindWithAnyPort() throws Exception {
    for (String host : new String[] {"localhost:1234", "127.0.0.1", "[::1]:7741", "LOCALHOST"}) {
      assertThat(raw(dev, "GET", "/v1/openapi.json", host, Map.of()).status())
          .as(host)
          .isEqualTo(200);
    }
  }

  @Test
  void theHostsOfThePublicUrlsAndTheAllowListAreAllowed() throws Exception {
    for (String host :
        new String[] {"foundry.example.com", "10.0.0.7:7741", "internal.example", "127.0.0.1"}) {
      assertThat(raw(proxied, "GET", "/v1/openapi.json", host, Map.of()).status())
          .as(host)
          .isEqualTo(200);
    }
    // localhost is allowed on the dev server by the loopback rule, not as APP_URL's host: the
    // proxied server binds loopback too, so check a name that only the allow-list makes good.
    assertThat(raw(dev, "GET", "/v1/openapi.json", "10.0.0.7", Map.of()).status()).isEqualTo(400);
  }

  @Test
  void healthAndReadinessAnswerAnyHostForProbes() throws Exception {
    assertThat(raw(proxied, "GET", "/v1/health", "10.1.2.3:7741", Map.of()).status())
        .isEqualTo(200);
    assertThat(raw(proxied, "GET", "/v1/ready", "10.1.2.3:7741", Map.of()).status()).isEqualTo(200);
    assertThat(raw(proxied, "GET", "/metrics", "10.1.2.3:7741", Map.of()).status()).isEqualTo(400);
  }

  @Test
  void theWebSocketUpgradeChecksTheHostToo() throws Exception {
    Map<String, String> upgrade =
        Map.of(
            "Upgrade", "websocket",
            "Connection", "Upgrade",
            "Sec-WebSocket-Version", "13",
            "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    Raw refused = raw(dev, "GET", "/v1/realtime", "attacker.example", upgrade);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.errorCode()).isEqualTo("host_not_allowed");
    // With a good Host the upgrade goes on to its own checks (no cookie: 401).
    assertThat(raw(dev, "GET", "/v1/realtime", "localhost", upgrade).status()).isEqualTo(401);
  }

  // --- cross-origin protection ---------------------------------------------------------------

  @Test
  void aCrossSitePostIsRefusedAndChangesNothing() {
    Browser ada = dev.browser();
    String org = ada.signIn("cross").json().path("activeOrganizationId").asText();
    String repos = "/v1/organizations/" + org + "/repos";
    String body = "{\"remoteUrl\":\"https://example.com/a.git\"}";

    Answer fetchMetadata = post(ada, repos, body, Map.of("Sec-Fetch-Site", "cross-site"));
    assertThat(fetchMetadata.status()).isEqualTo(403);
    assertThat(fetchMetadata.errorCode()).isEqualTo("cross_site_request");
    assertThat(fetchMetadata.json().path("error").path("message").asText()).isNotBlank();

    Answer sameSite =
        post(
            ada,
            repos,
            body,
            Map.of("Sec-Fetch-Site", "same-site", "Origin", "http://evil.localhost:4173"));
    assertThat(sameSite.status()).isEqualTo(403);

    Answer oldBrowser = post(ada, repos, body, Map.of("Origin", "http://evil.example"));
    assertThat(oldBrowser.status()).isEqualTo(403);
    assertThat(oldBrowser.errorCode()).isEqualTo("cross_site_request");

    // Bodiless state changes too (archive, kill, sign-out ...).
    Answer signOut =
        ada.send("POST", "/v1/auth/sign-out", null, null, Map.of("Sec-Fetch-Site", "cross-site"));
    assertThat(signOut.status()).isEqualTo(403);

    assertThat(ada.get(repos).json()).isEmpty();
    assertThat(ada.get("/v1/auth/session").status()).isEqualTo(200);
  }

  @Test
  void sameOriginTheAppTrustedOriginsAndNonBrowsersPass() {
    Browser ada = dev.browser();
    String org = ada.signIn("trusted").json().path("activeOrganizationId").asText();
    String repos = "/v1/organizations/" + org + "/repos";
    String own = "http://127.0.0.1:" + dev.app().port();
    Map<String, Map<String, String>> allowed =
        Map.of(
            "same-origin", Map.of("Sec-Fetch-Site", "same-origin", "Origin", own),
            "typed by the user", Map.of("Sec-Fetch-Site", "none"),
            "the app, another port of the same site",
                Map.of("Sec-Fetch-Site", "same-site", "Origin", "http://localhost:4173"),
            "a listed origin", Map.of("Sec-Fetch-Site", "cross-site", "Origin", ADMIN_ORIGIN),
            "an old browser on the same origin", Map.of("Origin", own),
            "curl", Map.of());
    int n = 0;
    for (var entry : allowed.entrySet()) {
      String body = "{\"remoteUrl\":\"https://example.com/r" + n++ + ".git\"}";
      assertThat(post(ada, repos, body, entry.getValue()).status())
          .as(entry.getKey())
          .isEqualTo(201);
    }
    assertThat(ada.get(repos).json()).hasSize(allowed.size());
    // Safe methods are never refused: a cross-site GET reads nothing without CORS anyway.
    assertThat(ada.send("GET", repos, null, null, Map.of("Sec-Fetch-Site", "cross-site")).status())
        .isEqualTo(200);
  }

  @Test
  void webhookPathsAreExemptFromTheCrossOriginCheck() {
    Browser anyone = dev.browser();
    Answer webhook =
        anyone.send(
            "POST",
            "/v1/webhooks/github",
            "{}",
            "application/json",
            Map.of("Sec-Fetch-Site", "cross-site", "Origin", "https://github.com"));
    // The request passes the edge and reaches the webhook route, which (without
    // GITHUB_WEBHOOK_SECRET here) answers 503: not the edge's 403.
    assertThat(webhook.status()).isEqualTo(503);
    assertThat(webhook.errorCode()).isNotEqualTo("cross_site_request");
    Answer elsewhere =
        anyone.send(
            "POST",
            "/v1/webhooksx/github",
            "{}",
            "application/json",
            Map.of("Sec-Fetch-Site", "cross-site"));
    assertThat(elsewhere.status()).isEqualTo(403);
  }

  @Test
  void corsPreflightsOfTheAppStillWork() {
    Answer preflight =
        dev.browser()
            .send(
                "OPTIONS",
                "/v1/app",
                null,
                null,
                Map.of(
                    "Origin", "http://localhost:4173",
                    "Access-Control-Request-Method", "POST",
                    "Sec-Fetch-Site", "same-site"));
    assertThat(preflight.status()).isEqualTo(204);
    assertThat(preflight.raw().headers().firstValue("access-control-allow-origin"))
        .contains("http://localhost:4173");
  }

  // --- helpers -------------------------------------------------------------------------------

  private static Answer post(Browser b, String path, String json, Map<String, String> headers) {
    return b.send("POST", path, json, "application/json", headers);
  }

  record Raw(int status, String body) {
    String errorCode() {
      try {
        JsonNode json = JSON.readTree(body);
        return json.path("error").path("code").asText(null);
      } catch (Exception e) {
        return null;
      }
    }
  }

  /**
   * One HTTP/1.1 request written by hand, since {@link java.net.http.HttpClient} does not let a
   * caller choose the {@code Host} header.
   */
  private static Raw raw(
      ApiServer server, String method, String path, String host, Map<String, String> headers)
      throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.app().port())) {
      socket.setSoTimeout(30_000);
      StringBuilder request = new StringBuilder();
      request.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
      request.append("Host: ").append(host).append("\r\n");
      headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
      if (!method.equals("GET")) {
        request.append("Content-Length: 0\r\n");
      }
      request.append("Connection: close\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = readHead(socket.getInputStream());
      int status = Integer.parseInt(response.substring(9, 12));
      int bodyStart = response.indexOf("\r\n\r\n");
      return new Raw(status, bodyStart < 0 ? "" : response.substring(bodyStart + 4));
    }
  }

  /** Reads until the server closes, or until a 101 or 401 upgrade answer's head is complete. */
  private static String readHead(InputStream in) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      bytes.write(buffer, 0, n);
      String text = bytes.toString(StandardCharsets.UTF_8);
      int head = text.indexOf("\r\n\r\n");
      if (head >= 0) {
        int length = contentLength(text.substring(0, head));
        if (length >= 0 && text.length() - head - 4 >= length) {
          return text;
        }
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        return Integer.parseInt(line.substring("content-length:".length()).strip());
      }
    }
    return -1;
  }
}
