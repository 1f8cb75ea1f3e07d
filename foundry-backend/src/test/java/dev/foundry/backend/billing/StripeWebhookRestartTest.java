package dev.foundry.backend.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook deduplication is durable: an event taken before a restart is still known after it, and
 * its redelivery changes nothing. Without Stripe configured, billing answers 503 and changes
 * nothing; with only the webhook secret, events are still checked and taken.
 */
class StripeWebhookRestartTest {
  @TempDir Path dir;

  @Test
  void anEventTakenBeforeARestartIsIgnoredAfterIt() throws Exception {
    try (FakeStripe stripe = new FakeStripe()) {
      String org;
      String cookie;
      String subscription;
      String payload;
      ApiServer first = ApiServer.start(dir, stripe.environment());
      try {
        Browser owner = first.browser();
        org = owner.signIn("olga").json().path("activeOrganizationId").asText();
        cookie = owner.cookie();
        assertThat(owner.post("/v1/organizations/" + org + "/billing/checkout", null).status())
            .isEqualTo(200);
        String session = stripe.lastCheckoutSessionId();
        subscription = stripe.completeCheckout(session);
        stripe.updateSubscription(subscription, Map.of("status", "past_due"));
        payload =
            FakeStripe.event(
                "evt_restart_1", "checkout.session.completed", stripe.checkoutSession(session));
        assertThat(deliver(first, payload).status()).isEqualTo(200);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> billing(first, cookie, org).path("status").asText().equals("past_due"));
      } finally {
        first.close();
      }

      stripe.updateSubscription(subscription, Map.of("status", "active"));
      int reads = stripe.calls("GET /v1/subscriptions/" + subscription);
      ApiServer second = ApiServer.start(dir, stripe.environment());
      try {
        Browser.Answer again = deliver(second, payload);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("ok").asBoolean()).isTrue();
        assertThat(billing(second, cookie, org).path("status").asText()).isEqualTo("past_due");
        assertThat(stripe.calls("GET /v1/subscriptions/" + subscription)).isEqualTo(reads);
      } finally {
        second.close();
      }
    }
  }

  @Test
  void withoutStripeBillingAnswers503AndTheWebhookToo() {
    ApiServer server = ApiServer.start(dir, Map.of());
    try {
      Browser owner = server.browser();
      String org = owner.signIn("pat").json().path("activeOrganizationId").asText();
      Browser.Answer checkout = owner.post("/v1/organizations/" + org + "/billing/checkout", null);
      assertThat(checkout.status()).isEqualTo(503);
      assertThat(checkout.errorCode()).isEqualTo("billing_not_configured");
      String payload =
          FakeStripe.event(
              "evt_off",
              "invoice.paid",
              new com.fasterxml.jackson.databind.ObjectMapper()
                  .createObjectNode()
                  .put("id", "in_1"));
      Browser.Answer hook = deliver(server, payload);
      assertThat(hook.status()).isEqualTo(503);
      assertThat(billing(server, owner.cookie(), org).path("planId").asText()).isEqualTo("free");
    } finally {
      server.close();
    }
  }

  @Test
  void withOnlyTheWebhookSecretEventsAreStillCheckedAndTaken() {
    ApiServer server =
        ApiServer.start(dir, Map.of("STRIPE_WEBHOOK_SECRET", FakeStripe.WEBHOOK_SECRET));
    try {
      String payload =
          FakeStripe.event(
              "evt_secret_only",
              "customer.subscription.updated",
              new com.fasterxml.jackson.databind.ObjectMapper()
                  .createObjectNode()
                  .put("id", "sub_1")
                  .put("customer", "cus_1"));
      Browser.Answer forged =
          server
              .browser()
              .send(
                  "POST",
                  "/v1/webhooks/stripe",
                  payload,
                  "application/json",
                  "Stripe-Signature",
                  "t=" + java.time.Instant.now().getEpochSecond() + ",v1=" + "00".repeat(32));
      assertThat(forged.status()).isEqualTo(403);
      assertThat(deliver(server, payload).status()).isEqualTo(200);
      assertThat(deliver(server, payload).status()).isEqualTo(200);
    } finally {
      server.close();
    }
  }

  private static Browser.Answer deliver(ApiServer server, String payload) {
    return server
        .browser()
        .send(
            "POST",
            "/v1/webhooks/stripe",
            payload,
            "application/json",
            "Stripe-Signature",
            FakeStripe.sign(payload));
  }

  private static JsonNode billing(ApiServer server, String cookie, String org) {
    return server
        .browser()
        .withCookie(cookie)
        .get("/v1/organizations/" + org)
        .json()
        .path("billing");
  }
}
