package dev.foundry.backend.billing;

/**
 * A Stripe subscription as Foundry needs it, read from Stripe (never from a webhook's body).
 *
 * @param status Stripe's status: {@code active}, {@code trialing}, {@code past_due}, {@code
 *     unpaid}, {@code incomplete}, {@code incomplete_expired}, {@code canceled}, {@code paused}
 * @param currentPeriodEnd epoch seconds, or null (from the first item since Stripe's 2025 API)
 * @param trialEnd epoch seconds, or null
 * @param paymentMethodLabel "Visa ending in 4242", or null without a card
 * @param organizationId the subscription's {@code metadata.organizationId}, or null
 */
public record StripeSubscription(
    String id,
    String customerId,
    String priceId,
    String status,
    boolean cancelAtPeriodEnd,
    Long currentPeriodEnd,
    Long trialEnd,
    String paymentMethodLabel,
    String organizationId) {

  /** Whether the subscription is over: the organization is back on the free plan. */
  public boolean ended() {
    return "canceled".equals(status) || "incomplete_expired".equals(status);
  }
}
