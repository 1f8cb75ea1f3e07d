package dev.foundry.shared.app;

import java.util.List;

/** An organization's plan and billing state. */
public record FoundryBillingState(
    String planId,
    String status,
    int seatsIncluded,
    String trialEndsAt,
    String renewalAt,
    String stripeCustomerId,
    String paymentMethodLabel,
    List<FoundryInvoice> invoices) {}
