package dev.foundry.backend.billing;

/** Billing was asked for while Stripe is not configured ({@code STRIPE_SECRET_KEY} unset). */
public final class BillingUnavailableException extends RuntimeException {
  public BillingUnavailableException() {
    super("billing is not configured on this server (STRIPE_SECRET_KEY is unset)");
  }
}
