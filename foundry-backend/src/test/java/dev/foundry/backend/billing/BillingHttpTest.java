package dev.foundry.backend.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.shared.app.FoundryOrganizationMember;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Billing as an owner uses it and as Stripe calls it, over real sockets on the real backend, with
 * Stripe played by a local {@link FakeStripe}: checkout, completion, the portal, cancel and resume,
 * seats, and webhooks signed with Stripe's own library (refused when the signature is bad or too
 * old, ignored when replayed, resolved by Stripe's current state when out of order).
 */
class BillingHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dir;
  private static FakeStripe stripe;
  private static ApiServer server;

  @BeforeAll
  static void start() throws Exception {
    stripe = new FakeStripe();
    server = ApiServer.start(dir, stripe.environment());
  }

  @AfterAll
  static void stop() {
    server.close();
    stripe.close();
  }

  /** A signed-in owner of a fresh personal organization. */
  private record Owner(Browser browser, String userId, String org) {
    String billing(String action) {
      return "/v1/organizations/" + org + "/billing/" + action;
    }

    JsonNode appBilling() {
      JsonNode app = ok(browser.get("/v1/app")).json();
      for (JsonNode o : app.path("organizations")) {
        if (o.path("id").asText().equals(org)) {
          return o.path("billing");
        }
      }
      throw new AssertionError("organization " + org + " not in the app snapshot " + app);
    }

    JsonNode summaryBilling() {
      return ok(browser.get("/v1/organizations/" + org)).json().path("billing");
    }
  }

  private static Owner signIn(String name) {
    Browser b = server.browser();
    JsonNode session =
        ok(b.signIn(name + "-" + UUID.randomUUID().toString().substring(0, 6))).json();
    return new Owner(
        b, session.path("user").path("id").asText(), session.path("activeOrganizationId").asText());
  }

  private static Answer ok(Answer a) {
    assertThat(a.status()).as("%s", a).isEqualTo(200);
    return a;
  }

  /** Checkout, payment at Stripe, Stripe's redirect back: answers the subscription id. */
  private static String subscribe(Owner owner) {
    ok(owner.browser().post(owner.billing("checkout"), null));
    String session = stripe.lastCheckoutSessionId();
    String subscription = stripe.completeCheckout(session);
    Answer back =
        owner
            .browser()
            .get(
                "/v1/billing/checkout/complete?organizationId="
                    + owner.org()
                    + "&session_id="
                    + session);
    assertThat(back.status()).as("%s", back).isEqualTo(302);
    assertThat(back.raw().headers().firstValue("Location"))
        .hasValue("http://localhost:4173/organizations/" + owner.org() + "/billing");
    return subscription;
  }

  private static Answer deliver(String payload, String signature) {
    return server
        .browser()
        .send(
            "POST",
            "/v1/webhooks/stripe",
            payload,
            "application/json; charset=utf-8",
            "Stripe-Signature",
            signature);
  }

  private static void awaitBilling(Owner owner, Predicate<JsonNode> condition) {
    await().atMost(WAIT).until(() -> condition.test(owner.appBilling()));
  }

  // --- checkout, portal, cancel, resume -------------------------------------------------------

  @Test
  void checkoutThenCompletionMakesTheTeamPlanActiveWithOneCustomerReused() {
    Owner alice = signIn("alice");
    assertThat(alice.appBilling().path("planId").asText()).isEqualTo("free");
    int customersBefore = stripe.customerCount();

    JsonNode first = ok(alice.browser().post(alice.billing("checkout"), null)).json();
    assertThat(first.path("url").asText())
        .startsWith("https://checkout.stripe.test/c/pay/cs_test_");
    JsonNode second = ok(alice.browser().post(alice.billing("checkout"), null)).json();
    assertThat(second.path("url").asText()).isNotEqualTo(first.path("url").asText());
    assertThat(stripe.customerCount()).as("one customer, reused").isEqualTo(customersBefore + 1);
    ObjectNode session = stripe.checkoutSession(stripe.lastCheckoutSessionId());
    assertThat(session.path("metadata").path("organizationId").asText()).isEqualTo(alice.org());
    assertThat(session.path("success_url").asText())
        .contains("/v1/billing/checkout/complete?organizationId=" + alice.org())
        .endsWith("session_id={CHECKOUT_SESSION_ID}");

    String subscription = subscribe(alice);

    JsonNode billing = alice.appBilling();
    assertThat(billing.path("planId").asText()).isEqualTo("team");
    assertThat(billing.path("status").asText()).isEqualTo("active");
    assertThat(billing.path("seatsIncluded").asInt()).isEqualTo(5);
    assertThat(billing.path("paymentMethodLabel").asText()).isEqualTo("Visa ending in 4242");
    assertThat(billing.path("stripeCustomerId").asText())
        .isEqualTo(stripe.subscription(subscription).path("customer").asText());
    long periodEnd =
        stripe
            .subscription(subscription)
            .path("items")
            .path("data")
            .get(0)
            .path("current_period_end")
            .asLong();
    assertThat(billing.path("renewalAt").asText())
        .isEqualTo(Instant.ofEpochSecond(periodEnd).toString());
    assertThat(alice.summaryBilling().path("planId").asText()).isEqualTo("team");

    Answer again = alice.browser().post(alice.billing("checkout"), null);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("already_subscribed");
  }

  @Test
  void completionRefusesMissingParametersAndAnotherOrganizationsSession() {
    Owner carol = signIn("carol");
    Owner dave = signIn("dave");
    ok(dave.browser().post(dave.billing("checkout"), null));
    String davesSession = stripe.lastCheckoutSessionId();
    stripe.completeCheckout(davesSession);

    Answer missing =
        carol.browser().get("/v1/billing/checkout/complete?organizationId=" + carol.org());
    assertThat(missing.status()).isEqualTo(400);
    Answer foreign =
        carol
            .browser()
            .get(
                "/v1/billing/checkout/complete?organizationId="
                    + carol.org()
                    + "&session_id="
                    + davesSession);
    assertThat(foreign.status()).as("%s", foreign).isEqualTo(404);
    Answer notMine =
        carol
            .browser()
            .get(
                "/v1/billing/checkout/complete?organizationId="
                    + dave.org()
                    + "&session_id="
                    + davesSession);
    assertThat(notMine.status()).isEqualTo(403);
    assertThat(carol.appBilling().path("planId").asText()).isEqualTo("free");
    assertThat(dave.appBilling().path("planId").asText()).isEqualTo("free");
  }

  @Test
  void portalCancelAndResume() {
    Owner erin = signIn("erin");
    Answer noCustomer = erin.browser().post(erin.billing("portal"), null);
    assertThat(noCustomer.status()).isEqualTo(409);
    Answer nothingToCancel = erin.browser().post(erin.billing("cancel"), null);
    assertThat(nothingToCancel.status()).isEqualTo(409);

    String subscription = subscribe(erin);

    JsonNode portal = ok(erin.browser().post(erin.billing("portal"), null)).json();
    assertThat(portal.path("url").asText()).startsWith("https://billing.stripe.test/p/session/");

    JsonNode cancelled = ok(erin.browser().post(erin.billing("cancel"), null)).json();
    assertThat(cancelled.path("status").asText()).isEqualTo("scheduled_cancel");
    assertThat(cancelled.path("planId").asText()).isEqualTo("team");
    assertThat(stripe.subscription(subscription).path("cancel_at_period_end").asBoolean()).isTrue();
    assertThat(erin.appBilling().path("status").asText()).isEqualTo("scheduled_cancel");

    JsonNode resumed = ok(erin.browser().post(erin.billing("resume"), null)).json();
    assertThat(resumed.path("status").asText()).isEqualTo("active");
    assertThat(stripe.subscription(subscription).path("cancel_at_period_end").asBoolean())
        .isFalse();
    assertThat(erin.appBilling().path("status").asText()).isEqualTo("active");
  }

  @Test
  void onlyTheOwnerManagesBillingAndSeatChangesAreReported() {
    Owner frank = signIn("frank");
    Owner grace = signIn("grace");
    JsonNode before = frank.appBilling();
    assertThat(before.path("seatsUsed").asInt()).isEqualTo(1);

    var org =
        server
            .app()
            .runtime()
            .get(OrganizationProtocol.TYPE, OrganizationProtocol.key(frank.org()));
    org.ask(
            new OrganizationProtocol.UpsertMember(
                new FoundryOrganizationMember(
                    grace.userId(), "Grace", "grace@example.com", "member", "active")))
        .toCompletableFuture()
        .join();
    assertThat(frank.appBilling().path("seatsUsed").asInt()).isEqualTo(2);
    assertThat(frank.summaryBilling().path("seatsUsed").asInt()).isEqualTo(2);

    Answer refused = grace.browser().post(frank.billing("checkout"), null);
    assertThat(refused.status()).as("%s", refused).isEqualTo(403);
    assertThat(refused.errorCode()).isEqualTo("owner_required");
    assertThat(grace.browser().post(frank.billing("portal"), null).status()).isEqualTo(403);

    org.ask(new OrganizationProtocol.RemoveMember(grace.userId())).toCompletableFuture().join();
    assertThat(frank.appBilling().path("seatsUsed").asInt()).isEqualTo(1);
  }

  // --- webhooks -------------------------------------------------------------------------------

  @Test
  void badSignatureTooOldAndReplayedEventsChangeNothing() {
    Owner heidi = signIn("heidi");
    String subscription = subscribe(heidi);
    stripe.updateSubscription(subscription, Map.of("status", "past_due"));
    String payload =
        FakeStripe.event(
            "evt_" + UUID.randomUUID(),
            "customer.subscription.updated",
            stripe.subscription(subscription));
    int reads = stripe.calls("GET /v1/subscriptions/" + subscription);

    String wrongSecret =
        FakeStripe.sign(payload).replaceAll("v1=[0-9a-f]+", "v1=" + "0".repeat(64));
    Answer bad = deliver(payload, wrongSecret);
    assertThat(bad.status()).as("%s", bad).isEqualTo(403);
    assertThat(bad.errorCode()).isEqualTo("invalid_signature");
    Answer tampered = deliver(payload.replace("past_due", "active"), FakeStripe.sign(payload));
    assertThat(tampered.status()).isEqualTo(403);
    Answer unsigned = deliver(payload, "");
    assertThat(unsigned.status()).isEqualTo(400);
    Answer old = deliver(payload, FakeStripe.signAt(payload, Instant.now().getEpochSecond() - 301));
    assertThat(old.status()).as("%s", old).isEqualTo(403);
    assertThat(old.errorCode()).isEqualTo("signature_expired");
    assertThat(stripe.calls("GET /v1/subscriptions/" + subscription)).isEqualTo(reads);
    assertThat(heidi.appBilling().path("status").asText()).isEqualTo("active");

    assertThat(ok(deliver(payload, FakeStripe.sign(payload))).json().path("ok").asBoolean())
        .isTrue();
    awaitBilling(heidi, b -> b.path("status").asText().equals("past_due"));
    int readsAfterFirst = stripe.calls("GET /v1/subscriptions/" + subscription);

    // Stripe recovers the payment; a redelivery of the old event must not re-apply anything.
    stripe.updateSubscription(subscription, Map.of("status", "active"));
    ok(deliver(payload, FakeStripe.sign(payload)));
    // An invoice event after the replay: once it shows, the replay would have shown too.
    ObjectNode invoice =
        stripe.createInvoice(
            stripe.subscription(subscription).path("customer").asText(),
            subscription,
            "F-0001",
            5000,
            true);
    String paid = FakeStripe.event("evt_" + UUID.randomUUID(), "invoice.paid", invoice);
    ok(deliver(paid, FakeStripe.sign(paid)));
    awaitBilling(heidi, b -> b.path("invoices").size() == 1);
    assertThat(stripe.calls("GET /v1/subscriptions/" + subscription)).isEqualTo(readsAfterFirst);
    assertThat(heidi.appBilling().path("status").asText()).isEqualTo("past_due");
    JsonNode shown = heidi.appBilling().path("invoices").get(0);
    assertThat(shown.path("id").asText()).isEqualTo(invoice.path("id").asText());
    assertThat(shown.path("label").asText()).isEqualTo("Invoice F-0001");
    assertThat(shown.path("issuedAt").asText()).isEqualTo("2026-11-01");
    assertThat(shown.path("amountUsd").asLong()).isEqualTo(50);
    assertThat(shown.path("status").asText()).isEqualTo("paid");
  }

  @Test
  void eventsDeliveredInReverseOrderEndInTheSubscriptionsTrueState() {
    Owner ivan = signIn("ivan");
    String subscription = subscribe(ivan);
    ObjectNode older = stripe.subscription(subscription);
    stripe.updateSubscription(
        subscription, Map.of("status", "trialing", "cancel_at_period_end", true));
    ObjectNode newer = stripe.subscription(subscription);
    String first =
        FakeStripe.event("evt_" + UUID.randomUUID(), "customer.subscription.updated", newer);
    String second =
        FakeStripe.event("evt_" + UUID.randomUUID(), "customer.subscription.updated", older);
    int reads = stripe.calls("GET /v1/subscriptions/" + subscription);

    // The newer event arrives first, the older (active, renewing) last.
    ok(deliver(first, FakeStripe.sign(first)));
    ok(deliver(second, FakeStripe.sign(second)));

    await()
        .atMost(WAIT)
        .until(() -> stripe.calls("GET /v1/subscriptions/" + subscription) >= reads + 2);
    awaitBilling(ivan, b -> b.path("status").asText().equals("scheduled_cancel"));
    JsonNode billing = ivan.appBilling();
    assertThat(billing.path("status").asText()).isEqualTo("scheduled_cancel");
    assertThat(billing.path("planId").asText()).isEqualTo("team");
  }

  @Test
  void checkoutCompletedWebhookAppliesThePlanAndDeletionReturnsToFree() {
    Owner judy = signIn("judy");
    ok(judy.browser().post(judy.billing("checkout"), null));
    String sessionId = stripe.lastCheckoutSessionId();
    String subscription = stripe.completeCheckout(sessionId);
    String completed =
        FakeStripe.event(
            "evt_" + UUID.randomUUID(),
            "checkout.session.completed",
            stripe.checkoutSession(sessionId));
    ok(deliver(completed, FakeStripe.sign(completed)));
    awaitBilling(judy, b -> b.path("planId").asText().equals("team"));

    String unknown =
        FakeStripe.event(
            "evt_" + UUID.randomUUID(), "customer.created", JSON.createObjectNode().put("id", "x"));
    assertThat(ok(deliver(unknown, FakeStripe.sign(unknown))).json().path("ok").asBoolean())
        .isTrue();

    stripe.updateSubscription(subscription, Map.of("status", "canceled"));
    String deleted =
        FakeStripe.event(
            "evt_" + UUID.randomUUID(),
            "customer.subscription.deleted",
            stripe.subscription(subscription));
    ok(deliver(deleted, FakeStripe.sign(deleted)));
    awaitBilling(judy, b -> b.path("planId").asText().equals("free"));
    JsonNode billing = judy.appBilling();
    assertThat(billing.path("seatsIncluded").asInt()).isEqualTo(1);
    assertThat(billing.path("status").asText()).isEqualTo("active");
    assertThat(billing.path("renewalAt").isNull()).isTrue();
  }

  // --- live -----------------------------------------------------------------------------------

  @Test
  void billingShowsLiveOnTheOrganizationAndAppTopics() throws Exception {
    Owner kim = signIn("kim");
    subscribe(kim);
    try (Socket socket = Socket.open(server, kim.browser().cookie())) {
      socket.send(
          "{\"type\":\"subscribe\",\"topic\":\"organization\",\"id\":\"" + kim.org() + "\"}");
      JsonNode snapshot = socket.next(f -> f.path("type").asText().equals("snapshot"));
      assertThat(snapshot.path("payload").path("billing").path("planId").asText())
          .isEqualTo("team");
      socket.send("{\"type\":\"subscribe\",\"topic\":\"app\",\"id\":\"app\"}");
      socket.next(f -> f.path("type").asText().equals("snapshot"));

      ok(kim.browser().post(kim.billing("cancel"), null));

      JsonNode org = socket.next(f -> f.path("event").asText().equals("organizationUpdated"));
      assertThat(org.path("payload").path("billing").path("status").asText())
          .isEqualTo("scheduled_cancel");
      JsonNode app = socket.next(f -> f.path("event").asText().equals("appUpdated"));
      assertThat(
              app.path("payload")
                  .path("organizations")
                  .get(0)
                  .path("billing")
                  .path("status")
                  .asText())
          .isEqualTo("scheduled_cancel");
    }
  }

  /** A WebSocket on {@code /v1/realtime} with the session cookie. */
  private static final class Socket implements WebSocket.Listener, AutoCloseable {
    private final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket ws;

    static Socket open(ApiServer server, String cookie) {
      Socket s = new Socket();
      s.ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .header("Cookie", "foundry_session=" + cookie)
              .buildAsync(URI.create(server.base().replace("http", "ws") + "/v1/realtime"), s)
              .orTimeout(10, TimeUnit.SECONDS)
              .join();
      return s;
    }

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        frames.add(partial.toString());
        partial.setLength(0);
      }
      w.request(1);
      return null;
    }

    void send(String text) {
      ws.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** The next frame matching {@code wanted}; others are skipped. */
    JsonNode next(Predicate<JsonNode> wanted) throws Exception {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        String frame = frames.poll(1, TimeUnit.SECONDS);
        if (frame != null) {
          JsonNode f = JSON.readTree(frame);
          if (wanted.test(f)) {
            return f;
          }
        }
      }
      throw new AssertionError("no such frame within " + WAIT.toSeconds() + " s");
    }

    @Override
    public void close() {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(10, TimeUnit.SECONDS).join();
    }
  }
}
