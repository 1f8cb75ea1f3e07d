package dev.foundry.backend.billing;

import com.stripe.exception.SignatureVerificationException;
import com.stripe.net.Webhook;
import java.time.Clock;
import java.time.Duration;

/**
 * The {@code Stripe-Signature} check of a webhook (Stripe's scheme, not upstream's weaker one):
 * {@code t=<unix seconds>} and one or more {@code v1=<hex HMAC-SHA256 of "t.body">} under {@code
 * STRIPE_WEBHOOK_SECRET}, compared in constant time by {@code stripe-java}; a timestamp older than
 * {@link #TOLERANCE} is refused, so a captured delivery cannot be replayed later. It runs on the
 * raw body, before anything parses it.
 */
public final class StripeSignature {
  public static final Duration TOLERANCE = Duration.ofSeconds(300);

  private final String secret;
  private final Clock clock;

  public StripeSignature(String secret, Clock clock) {
    this.secret = secret;
    this.clock = clock;
  }

  /** Why a delivery was refused; {@code code} is the API error code. */
  public static final class Refused extends Exception {
    private final String code;

    Refused(String code, String message) {
      super(message);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private static boolean hasPart(String header, String key) {
    for (String part : header.split(",")) {
      String[] kv = part.strip().split("=", 2);
      if (kv.length == 2 && kv[0].equals(key) && !kv[1].isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** Returns normally when {@code header} signs {@code payload}; otherwise says why not. */
  public void verify(String payload, String header) throws Refused {
    if (header == null || header.isBlank()) {
      throw new Refused("missing_signature", "the Stripe-Signature header is missing");
    }
    if (!hasPart(header, "t") || !hasPart(header, "v1")) {
      throw new Refused(
          "malformed_signature", "the Stripe-Signature header has no t= or no v1= part");
    }
    try {
      Webhook.Signature.verifyHeader(payload, header, secret, TOLERANCE.toSeconds(), clock);
    } catch (SignatureVerificationException e) {
      String message = e.getMessage() == null ? "" : e.getMessage();
      if (message.contains("tolerance")) {
        throw new Refused(
            "signature_expired",
            "the Stripe-Signature timestamp is older than " + TOLERANCE.toSeconds() + " s");
      }
      throw new Refused("invalid_signature", "the Stripe-Signature does not sign this body");
    } catch (RuntimeException e) {
      // stripe-java reads a non-numeric t= with Long.parseLong: a malformed header, not our bug.
      throw new Refused("malformed_signature", "the Stripe-Signature header is malformed");
    }
  }
}
