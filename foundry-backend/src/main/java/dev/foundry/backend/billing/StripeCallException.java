package dev.foundry.backend.billing;

import com.stripe.exception.StripeException;

/** A call to Stripe failed: Stripe's own message and, when Stripe answered, its HTTP status. */
public final class StripeCallException extends RuntimeException {
  private final Integer status;

  StripeCallException(StripeException cause) {
    super("Stripe: " + cause.getMessage(), cause);
    this.status = cause.getStatusCode();
  }

  /** Stripe's HTTP status, or null when Stripe could not be reached. */
  public Integer status() {
    return status;
  }
}
