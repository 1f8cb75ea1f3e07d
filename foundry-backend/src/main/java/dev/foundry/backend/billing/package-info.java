/**
 * Stripe billing: the plans and how a Stripe subscription maps onto them ({@link
 * dev.foundry.backend.billing.BillingPlan}), the calls to Stripe's API through {@code stripe-java}
 * ({@link dev.foundry.backend.billing.StripeGateway}) and the webhook's signature check and parsing
 * ({@link dev.foundry.backend.billing.StripeSignature}, {@link
 * dev.foundry.backend.billing.StripeWebhookEvent}). It knows no actor and no HTTP route: the
 * organization actor calls the gateway from its commands, the REST layer checks webhooks here.
 */
package dev.foundry.backend.billing;
