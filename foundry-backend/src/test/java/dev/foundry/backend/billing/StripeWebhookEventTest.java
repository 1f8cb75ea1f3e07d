package dev.foundry.backend.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What an event names, from Stripe's documented shapes (ids as strings or expanded objects). */
class StripeWebhookEventTest {
  @Test
  void aSubscriptionEventNamesItsSubscriptionCustomerAndOrganization() {
    StripeWebhookEvent e =
        StripeWebhookEvent.parse(
            "{\"id\":\"evt_1\",\"object\":\"event\",\"type\":\"customer.subscription.updated\","
                + "\"data\":{\"object\":{\"id\":\"sub_1\",\"object\":\"subscription\","
                + "\"customer\":\"cus_1\",\"metadata\":{\"organizationId\":\"acme\"}}}}");
    assertThat(e)
        .isEqualTo(
            new StripeWebhookEvent(
                "evt_1", "customer.subscription.updated", "acme", "cus_1", "sub_1", null));
    assertThat(e.handled()).isTrue();
  }

  @Test
  void anInvoiceNamesItsSubscriptionUnderParentOrAtTheTop() {
    StripeWebhookEvent basil =
        StripeWebhookEvent.parse(
            "{\"id\":\"evt_2\",\"type\":\"invoice.paid\",\"data\":{\"object\":{\"id\":\"in_1\","
                + "\"customer\":{\"id\":\"cus_1\",\"object\":\"customer\"},\"parent\":"
                + "{\"subscription_details\":{\"subscription\":\"sub_1\"}}}}}");
    assertThat(basil.invoiceId()).isEqualTo("in_1");
    assertThat(basil.customerId()).isEqualTo("cus_1");
    assertThat(basil.subscriptionId()).isEqualTo("sub_1");
    StripeWebhookEvent older =
        StripeWebhookEvent.parse(
            "{\"id\":\"evt_3\",\"type\":\"invoice.payment_failed\",\"data\":{\"object\":"
                + "{\"id\":\"in_2\",\"customer\":\"cus_1\",\"subscription\":\"sub_2\"}}}");
    assertThat(older.subscriptionId()).isEqualTo("sub_2");
  }

  @Test
  void otherTypesAreNotHandled() {
    assertThat(
            StripeWebhookEvent.parse(
                    "{\"id\":\"evt_4\",\"type\":\"customer.created\",\"data\":{\"object\":{}}}")
                .handled())
        .isFalse();
  }

  @Test
  void aBodyThatIsNotAnEventIsRefused() {
    for (String bad :
        new String[] {"", "[]", "not json", "{\"type\":\"invoice.paid\"}", "{\"id\":\"evt\"}"}) {
      assertThatThrownBy(() -> StripeWebhookEvent.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
