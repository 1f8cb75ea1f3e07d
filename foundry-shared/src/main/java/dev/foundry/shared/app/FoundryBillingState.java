package dev.foundry.shared.app;

import java.util.List;

/**
 * An organization's plan and billing state. {@code seatsUsed} (added after upstream's fields) is
 * the number of active members, the seat usage the plan's {@code seatsIncluded} is compared with.
 */
public record FoundryBillingState(
    String planId,
    String status,
    int seatsIncluded,
    String trialEndsAt,
    String renewalAt,
    String stripeCustomerId,
    String paymentMethodLabel,
    List<FoundryInvoice> invoices,
    int seatsUsed) {}
