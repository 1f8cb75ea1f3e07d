package dev.foundry.backend.githubdata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/webhooks/github} as GitHub calls it, over real sockets on the real backend:
 * deliveries signed as GitHub signs them ({@code sha256=<hex>} HMAC over the raw body), refused
 * with 401 before parsing when the signature is missing or wrong, deduplicated by {@code
 * X-GitHub-Delivery}, recorded on the organization ({@code lastWebhookAt}, {@code
 * lastWebhookEvent}) and in its audit log.
 */
class GithubWebhookHttpTest {
  static final String SECRET = "It's a Secret to Everybody";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dir;
  private static ApiServer server;

  @BeforeAll
  static void start() {
    server = ApiServer.start(dir, Map.of("GITHUB_WEBHOOK_SECRET", SECRET));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** GitHub's signature of {@code body}, computed here independently of the backend's code. */
  static String sign(String secret, String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
  }

  static Answer deliver(
      ApiServer server, String event, String deliveryId, String body, String signature) {
    List<String> headers = new ArrayList<>();
    headers.add("X-GitHub-Event");
    headers.add(event);
    headers.add("X-GitHub-Delivery");
    headers.add(deliveryId);
    headers.add("User-Agent");
    headers.add("GitHub-Hookshot/044aadd");
    if (signature != null) {
      headers.add("X-Hub-Signature-256");
      headers.add(signature);
    }
    return server
        .browser()
        .send(
            "POST",
            "/v1/webhooks/github",
            body,
            "application/json",
            headers.toArray(String[]::new));
  }

  static Answer deliverSigned(ApiServer server, String event, String deliveryId, String body)
      throws Exception {
    return deliver(server, event, deliveryId, body, sign(SECRET, body));
  }

  /** A signed-in user and their personal organization (its GitHub account is their login). */
  private record Owner(Browser browser, String login, String org) {
    JsonNode github() {
      Answer a = browser.get("/v1/organizations/" + org);
      assertThat(a.status()).as("%s", a).isEqualTo(200);
      return a.json().path("github");
    }

    List<String> auditKinds() {
      Answer a = browser.get("/v1/organizations/" + org + "/audit-log?limit=500");
      assertThat(a.status()).as("%s", a).isEqualTo(200);
      List<String> kinds = new ArrayList<>();
      a.json().forEach(e -> kinds.add(e.path("kind").asText()));
      return kinds;
    }
  }

  private static Owner signIn(String name) {
    Browser b = server.browser();
    String login = name + "-" + UUID.randomUUID().toString().substring(0, 6);
    Answer session = b.signIn(login);
    assertThat(session.status()).as("%s", session).isEqualTo(200);
    return new Owner(b, login, session.json().path("activeOrganizationId").asText());
  }

  static String installationEvent(String action, String login, String type, long id) {
    return "{\"action\":\""
        + action
        + "\",\"installation\":{\"id\":"
        + id
        + ",\"account\":{\"login\":\""
        + login
        + "\",\"id\":1,\"type\":\""
        + type
        + "\"}},\"sender\":{\"login\":\""
        + login
        + "\"}}";
  }

  static String starEvent(String login) {
    return "{\"action\":\"created\",\"repository\":{\"full_name\":\""
        + login
        + "/x\",\"owner\":{\"login\":\""
        + login
        + "\",\"type\":\"User\"}}}";
  }

  private static String delivery() {
    return UUID.randomUUID().toString();
  }

  @Test
  void aSignedDeliveryIsRecordedOnTheOrganizationAndInItsAuditLog() throws Exception {
    Owner alice = signIn("alice");
    assertThat(alice.org()).isEqualTo("personal-" + alice.login().toLowerCase());
    assertThat(alice.github().path("lastWebhookAt").isNull()).isTrue();

    String id = delivery();
    Answer a =
        deliverSigned(
            server,
            "installation",
            id,
            installationEvent("new_permissions_accepted", alice.login(), "User", 77));
    assertThat(a.status()).as("%s", a).isEqualTo(200);
    assertThat(a.json().path("ok").asBoolean()).isTrue();

    await()
        .atMost(WAIT)
        .until(
            () ->
                "installation.new_permissions_accepted"
                    .equals(alice.github().path("lastWebhookEvent").asText()));
    assertThat(alice.github().path("lastWebhookAt").asLong()).isPositive();
    await()
        .atMost(WAIT)
        .until(
            () ->
                alice
                    .auditKinds()
                    .contains("github.webhook.installation.new_permissions_accepted"));
  }

  @Test
  void aRedeliveredDeliveryAnswers200AndChangesNothing() throws Exception {
    Owner bob = signIn("bob");
    String first = delivery();
    String firstBody = installationEvent("new_permissions_accepted", bob.login(), "User", 78);
    assertThat(deliverSigned(server, "installation", first, firstBody).status()).isEqualTo(200);
    String second = delivery();
    assertThat(deliverSigned(server, "star", second, starEvent(bob.login())).status())
        .isEqualTo(200);
    await()
        .atMost(WAIT)
        .until(() -> "star.created".equals(bob.github().path("lastWebhookEvent").asText()));
    long lastAt = bob.github().path("lastWebhookAt").asLong();

    Answer again = deliverSigned(server, "installation", first, firstBody);
    assertThat(again.status()).as("%s", again).isEqualTo(200);
    assertThat(again.json().path("ok").asBoolean()).isTrue();

    // A third, new delivery is recorded after the redelivery: once it shows, the redelivery
    // would have shown too had it changed anything.
    String third = delivery();
    String thirdBody = starEvent(bob.login()).replace("\"created\"", "\"deleted\"");
    assertThat(deliverSigned(server, "star", third, thirdBody).status()).isEqualTo(200);
    await()
        .atMost(WAIT)
        .until(
            () ->
                bob.auditKinds().contains("github.webhook.star.deleted")
                    && "star.deleted".equals(bob.github().path("lastWebhookEvent").asText()));
    assertThat(bob.github().path("lastWebhookAt").asLong()).isGreaterThanOrEqualTo(lastAt);
    assertThat(bob.auditKinds())
        .filteredOn(k -> k.equals("github.webhook.installation.new_permissions_accepted"))
        .hasSize(1);
  }

  @Test
  void aMissingOrWrongSignatureIsRefusedWith401BeforeTheBodyIsRead() throws Exception {
    Owner carol = signIn("carol");
    String body = starEvent(carol.login());

    Answer missing = deliver(server, "star", delivery(), body, null);
    assertThat(missing.status()).as("%s", missing).isEqualTo(401);
    assertThat(missing.errorCode()).isEqualTo("missing_signature");

    Answer wrongSecret = deliver(server, "star", delivery(), body, sign("not the secret", body));
    assertThat(wrongSecret.status()).as("%s", wrongSecret).isEqualTo(401);
    assertThat(wrongSecret.errorCode()).isEqualTo("invalid_signature");

    Answer otherBody =
        deliver(server, "star", delivery(), body, sign(SECRET, body.replace("x", "y")));
    assertThat(otherBody.status()).isEqualTo(401);

    Answer sha1 =
        deliver(server, "star", delivery(), body, sign(SECRET, body).replace("sha256=", "sha1="));
    assertThat(sha1.status()).isEqualTo(401);

    Answer notHex = deliver(server, "star", delivery(), body, "sha256=zz");
    assertThat(notHex.status()).isEqualTo(401);

    // Not JSON and not signed: refused for its signature, never parsed.
    Answer garbage = deliver(server, "star", delivery(), "{not json", "sha256=00");
    assertThat(garbage.status()).isEqualTo(401);
    assertThat(garbage.errorCode()).isEqualTo("invalid_signature");

    // Signed garbage is read, and is a bad request.
    Answer signedGarbage =
        deliver(server, "star", delivery(), "{not json", sign(SECRET, "{not json"));
    assertThat(signedGarbage.status()).isEqualTo(400);

    // Nothing of the refused deliveries was recorded: a good one is the first to show.
    String good = delivery();
    String goodBody = body.replace("\"created\"", "\"deleted\"");
    assertThat(deliverSigned(server, "star", good, goodBody).status()).isEqualTo(200);
    await().atMost(WAIT).until(() -> carol.auditKinds().contains("github.webhook.star.deleted"));
    assertThat(carol.auditKinds()).noneMatch(k -> k.equals("github.webhook.star.created"));
  }

  @Test
  void deliveriesWithoutHeadersOrAccountAreHandledPlainly() throws Exception {
    String body = "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}";
    Answer ping = deliverSigned(server, "ping", delivery(), body);
    assertThat(ping.status()).as("%s", ping).isEqualTo(200);
    assertThat(ping.json().path("ok").asBoolean()).isTrue();

    Answer noEvent =
        server
            .browser()
            .send(
                "POST",
                "/v1/webhooks/github",
                body,
                "application/json",
                "X-Hub-Signature-256",
                sign(SECRET, body),
                "X-GitHub-Delivery",
                delivery());
    assertThat(noEvent.status()).isEqualTo(400);
    assertThat(noEvent.errorCode()).isEqualTo("missing_header");
  }

  @Test
  void aFormEncodedDeliveryIsReadFromItsPayloadField() throws Exception {
    Owner gwen = signIn("gwen");
    String json = starEvent(gwen.login());
    String form = "payload=" + java.net.URLEncoder.encode(json, StandardCharsets.UTF_8);
    Answer a =
        server
            .browser()
            .send(
                "POST",
                "/v1/webhooks/github",
                form,
                "application/x-www-form-urlencoded",
                "X-GitHub-Event",
                "star",
                "X-GitHub-Delivery",
                delivery(),
                "X-Hub-Signature-256",
                sign(SECRET, form));
    assertThat(a.status()).as("%s", a).isEqualTo(200);
    await().atMost(WAIT).until(() -> gwen.auditKinds().contains("github.webhook.star.created"));
  }

  @Test
  void withoutTheSecretTheWebhookAnswers503() throws Exception {
    try (ApiServer bare = ApiServer.start(dir.resolve("no-secret"), Map.of())) {
      String body = starEvent("nobody");
      Answer a = deliver(bare, "star", delivery(), body, sign(SECRET, body));
      assertThat(a.status()).as("%s", a).isEqualTo(503);
      assertThat(a.errorCode()).isEqualTo("github_webhooks_not_configured");
    }
  }
}
