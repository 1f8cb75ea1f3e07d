package dev.foundry.backend.billing;

import java.time.Instant;

/**
 * The plans (spec §11.5): {@code free} (1 seat) and {@code team} (5 seats, the Stripe price {@code
 * STRIPE_PRICE_TEAM}), and how a Stripe subscription maps onto an organization's billing state.
 */
public final class BillingPlan {
  public static final String FREE = "free";
  public static final String TEAM = "team";
  public static final String FREE_PAYMENT_LABEL = "No card required";
  public static final String CARD_ON_FILE = "Payment method on file";

  private BillingPlan() {}

  /** What an organization's billing becomes from a live (not ended) subscription. */
  public record Terms(
      String planId,
      String status,
      int seatsIncluded,
      String trialEndsAt,
      String renewalAt,
      String paymentMethodLabel) {}

  public static int seatsIncluded(String planId) {
    return TEAM.equals(planId) ? 5 : 1;
  }

  /** {@code team} for the Team price, else {@code fallback} (the plan the organization has). */
  public static String planForPrice(String priceId, String teamPriceId, String fallback) {
    if (priceId != null && !priceId.isEmpty() && priceId.equals(teamPriceId)) {
      return TEAM;
    }
    return fallback == null ? FREE : fallback;
  }

  /**
   * Upstream's {@code stripeStatusToBillingStatus}: a renewal cancelled at period end is {@code
   * scheduled_cancel}; {@code trialing} stays; {@code past_due}, {@code unpaid} and {@code
   * incomplete} are {@code past_due}; anything else is {@code active}.
   */
  public static String billingStatus(String stripeStatus, boolean cancelAtPeriodEnd) {
    if (cancelAtPeriodEnd) {
      return "scheduled_cancel";
    }
    if ("trialing".equals(stripeStatus)) {
      return "trialing";
    }
    if ("past_due".equals(stripeStatus)
        || "unpaid".equals(stripeStatus)
        || "incomplete".equals(stripeStatus)) {
      return "past_due";
    }
    return "active";
  }

  public static Terms terms(StripeSubscription s, String teamPriceId, String currentPlan) {
    String plan = planForPrice(s.priceId(), teamPriceId, currentPlan);
    return new Terms(
        plan,
        billingStatus(s.status(), s.cancelAtPeriodEnd()),
        seatsIncluded(plan),
        iso(s.trialEnd()),
        iso(s.currentPeriodEnd()),
        s.paymentMethodLabel() == null ? CARD_ON_FILE : s.paymentMethodLabel());
  }

  /** Epoch seconds as an ISO-8601 instant, or null. */
  static String iso(Long epochSeconds) {
    return epochSeconds == null ? null : Instant.ofEpochSecond(epochSeconds).toString();
  }
}
