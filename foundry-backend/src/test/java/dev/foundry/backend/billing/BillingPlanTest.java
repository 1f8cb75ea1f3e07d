package dev.foundry.backend.billing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Upstream's mapping from a Stripe subscription to an organization's billing (spec §2.2). */
class BillingPlanTest {
  private static StripeSubscription sub(String status, boolean cancel, String price) {
    return new StripeSubscription(
        "sub_1", "cus_1", price, status, cancel, 1_800_000_000L, null, null, "acme");
  }

  @Test
  void statusesMapAsUpstream() {
    assertThat(BillingPlan.billingStatus("active", true)).isEqualTo("scheduled_cancel");
    assertThat(BillingPlan.billingStatus("trialing", false)).isEqualTo("trialing");
    for (String s : new String[] {"past_due", "unpaid", "incomplete"}) {
      assertThat(BillingPlan.billingStatus(s, false)).as(s).isEqualTo("past_due");
    }
    assertThat(BillingPlan.billingStatus("active", false)).isEqualTo("active");
    assertThat(BillingPlan.billingStatus("paused", false)).isEqualTo("active");
  }

  @Test
  void theTeamPriceIsTheTeamPlanWithFiveSeatsAndAnotherPriceKeepsThePlan() {
    BillingPlan.Terms team =
        BillingPlan.terms(sub("active", false, "price_team"), "price_team", "free");
    assertThat(team.planId()).isEqualTo("team");
    assertThat(team.seatsIncluded()).isEqualTo(5);
    assertThat(team.renewalAt()).isEqualTo("2027-01-15T08:00:00Z");
    assertThat(team.paymentMethodLabel()).isEqualTo("Payment method on file");
    assertThat(BillingPlan.terms(sub("active", false, "price_x"), "price_team", "team").planId())
        .isEqualTo("team");
    assertThat(
            BillingPlan.terms(sub("active", false, "price_x"), "price_team", "free")
                .seatsIncluded())
        .isEqualTo(1);
  }

  @Test
  void canceledAndExpiredSubscriptionsHaveEnded() {
    assertThat(sub("canceled", false, "p").ended()).isTrue();
    assertThat(sub("incomplete_expired", false, "p").ended()).isTrue();
    assertThat(sub("past_due", false, "p").ended()).isFalse();
  }
}
