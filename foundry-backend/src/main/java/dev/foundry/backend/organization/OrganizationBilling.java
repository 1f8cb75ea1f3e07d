package dev.foundry.backend.organization;

import static dev.foundry.backend.organization.OrganizationActor.blank;
import static dev.foundry.backend.organization.OrganizationActor.now;

import dev.foundry.backend.billing.BillingPlan;
import dev.foundry.backend.billing.BillingUnavailableException;
import dev.foundry.backend.billing.StripeCallException;
import dev.foundry.backend.billing.StripeGateway;
import dev.foundry.backend.billing.StripeSubscription;
import dev.foundry.backend.organization.OrganizationEvents.BillingCustomerLinked;
import dev.foundry.backend.organization.OrganizationEvents.BillingFreePlanApplied;
import dev.foundry.backend.organization.OrganizationEvents.BillingSubscriptionApplied;
import dev.foundry.backend.organization.OrganizationEvents.Event;
import dev.foundry.backend.organization.OrganizationEvents.InvoiceUpserted;
import dev.foundry.backend.organization.OrganizationTables.StripeRefs;
import dev.foundry.backend.protocol.OrganizationProtocol.BillingUrl;
import dev.foundry.backend.protocol.OrganizationProtocol.FinalizeCheckout;
import dev.foundry.backend.protocol.OrganizationProtocol.OpenBillingPortal;
import dev.foundry.backend.protocol.OrganizationProtocol.SetCancelAtPeriodEnd;
import dev.foundry.backend.protocol.OrganizationProtocol.StartCheckout;
import dev.foundry.backend.protocol.OrganizationProtocol.SyncStripeInvoice;
import dev.foundry.backend.protocol.OrganizationProtocol.SyncStripeSubscription;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.shared.app.FoundryOrganization;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A real organization's billing (spec §11.5): checkout, its completion, the billing portal,
 * cancelling and resuming the renewal, and the syncs webhooks ask for. Every change is read from
 * Stripe inside the organization's command, one command at a time: two webhooks arriving in the
 * wrong order both read the subscription as it is now, so the last one applied is Stripe's truth.
 */
final class OrganizationBilling {
  private final String organizationId;
  private final StripeGateway stripe;
  private final Supplier<String> commandId;

  OrganizationBilling(String organizationId, StripeGateway stripe, Supplier<String> commandId) {
    this.organizationId = organizationId;
    this.stripe = stripe;
    this.commandId = commandId;
  }

  Decision<BillingUrl> startCheckout(StartCheckout cmd, OrganizationTables tables) {
    if (!stripe.configured()) {
      return notConfigured();
    }
    StripeRefs refs = tables.stripeRefs();
    if (refs.subscriptionId() != null) {
      // A second checkout would start a second subscription billed beside the first.
      return Decision.reject(
          "already_subscribed",
          "this organization already has a subscription; manage it in the billing portal");
    }
    FoundryOrganization org = tables.organization(organizationId);
    // The customer is created once: its idempotency key is the organization's, and its id is
    // kept with the session's URL in one decision.
    String existing = refs.customerId();
    String sessionKey = "foundry-checkout-" + commandId.get();
    var io =
        (existing != null
                ? java.util.concurrent.CompletableFuture.completedFuture(existing)
                : stripe.createCustomer(
                    organizationId,
                    org.settings().displayName(),
                    cmd.email(),
                    "foundry-customer-" + organizationId))
            .thenCompose(
                customer ->
                    stripe
                        .createCheckoutSession(organizationId, customer, sessionKey)
                        .thenApply(url -> List.of(customer, url)));
    return Decision.after(
        io,
        pair -> {
          BillingUrl url = new BillingUrl(pair.get(1));
          if (existing != null) {
            return Decision.reply(url);
          }
          return Decision.<BillingUrl>persist(new BillingCustomerLinked(pair.get(0), now()))
              .thenReply(() -> url);
        },
        OrganizationBilling::failed);
  }

  Decision<FoundryOrganization> finalizeCheckout(FinalizeCheckout cmd, OrganizationTables tables) {
    if (!stripe.configured()) {
      return notConfigured();
    }
    if (blank(cmd.checkoutSessionId())) {
      return Decision.reject("invalid_session_id", "session_id is required");
    }
    return Decision.after(
        stripe.checkoutCompletion(cmd.checkoutSessionId()),
        done -> {
          if (!organizationId.equals(done.organizationId())) {
            return Decision.reject(
                "checkout_session_not_found",
                "checkout session " + cmd.checkoutSessionId() + " is not this organization's");
          }
          List<Event> events = new ArrayList<>();
          StripeRefs refs = tables.stripeRefs();
          if (done.customerId() != null && !done.customerId().equals(refs.customerId())) {
            events.add(new BillingCustomerLinked(done.customerId(), now()));
          }
          if (done.subscription() != null) {
            events.addAll(apply(done.subscription(), refs));
          }
          return Decision.<FoundryOrganization>persist(events)
              .thenReply(() -> tables.organization(organizationId));
        },
        OrganizationBilling::failed);
  }

  Decision<BillingUrl> openPortal(OpenBillingPortal cmd, OrganizationTables tables) {
    if (!stripe.configured()) {
      return notConfigured();
    }
    String customer = tables.stripeRefs().customerId();
    if (customer == null) {
      return Decision.reject(
          "no_stripe_customer", "this organization has no Stripe customer yet; check out first");
    }
    return Decision.after(
        stripe.createPortalSession(customer, organizationId),
        url -> Decision.reply(new BillingUrl(url)),
        OrganizationBilling::failed);
  }

  Decision<FoundryOrganization> setCancelAtPeriodEnd(
      SetCancelAtPeriodEnd cmd, OrganizationTables tables) {
    if (!stripe.configured()) {
      return notConfigured();
    }
    StripeRefs refs = tables.stripeRefs();
    if (refs.subscriptionId() == null) {
      return Decision.reject("no_subscription", "this organization has no paid subscription");
    }
    return Decision.after(
        stripe.cancelAtPeriodEnd(
            refs.subscriptionId(), cmd.cancel(), "foundry-renewal-" + commandId.get()),
        subscription ->
            Decision.<FoundryOrganization>persist(apply(subscription, tables.stripeRefs()))
                .thenReply(() -> tables.organization(organizationId)),
        OrganizationBilling::failed);
  }

  // The syncs a webhook asks for fail (not reject) when Stripe cannot be read: a failed command
  // stays listed for an operator to retry, where a rejection would be final.

  Decision<Boolean> syncSubscription(SyncStripeSubscription cmd, OrganizationTables tables) {
    if (!stripe.configured()) {
      return notConfigured();
    }
    return Decision.after(
        stripe.subscription(cmd.subscriptionId()),
        subscription ->
            Decision.<Boolean>persist(apply(subscription, tables.stripeRefs()))
                .thenReply(() -> true));
  }

  Decision<Boolean> syncInvoice(SyncStripeInvoice cmd, OrganizationTables tables) {
    if (!stripe.configured()) {
      return notConfigured();
    }
    return Decision.after(
        stripe.invoice(cmd.invoiceId()),
        found -> {
          String customer = tables.stripeRefs().customerId();
          if (customer == null || !customer.equals(found.customerId())) {
            return Decision.reject(
                "invoice_not_found", "invoice " + cmd.invoiceId() + " is not this organization's");
          }
          return Decision.<Boolean>persist(new InvoiceUpserted(found.invoice(), now()))
              .thenReply(() -> true);
        });
  }

  /**
   * The events that make the organization's billing match {@code s}: nothing for a subscription of
   * another customer; the free plan when the organization's own subscription ended (an old one that
   * ended changes nothing); otherwise its plan, status, seats and period.
   */
  private List<Event> apply(StripeSubscription s, StripeRefs refs) {
    if (refs.customerId() != null
        && s.customerId() != null
        && !refs.customerId().equals(s.customerId())) {
      return List.of();
    }
    if (s.ended()) {
      return s.id().equals(refs.subscriptionId())
          ? List.of(new BillingFreePlanApplied(now()))
          : List.of();
    }
    BillingPlan.Terms t = BillingPlan.terms(s, stripe.teamPriceId(), refs.planId());
    return List.of(
        new BillingSubscriptionApplied(
            s.id(),
            s.customerId(),
            s.priceId(),
            t.planId(),
            t.status(),
            t.seatsIncluded(),
            t.trialEndsAt(),
            t.renewalAt(),
            t.paymentMethodLabel(),
            now()));
  }

  private static <R> Decision<R> notConfigured() {
    return Decision.reject(
        "billing_not_configured", "billing is not configured on this server (STRIPE_SECRET_KEY)");
  }

  /** Stripe refused or could not be reached: nothing changes, the caller learns why. */
  private static <R> Decision<R> failed(Throwable failure) {
    Throwable cause = Failures.cause(failure);
    if (cause instanceof BillingUnavailableException) {
      return notConfigured();
    }
    if (cause instanceof StripeCallException e && e.status() != null && e.status() == 404) {
      return Decision.reject("stripe_object_not_found", e.getMessage());
    }
    String message = cause instanceof StripeCallException ? cause.getMessage() : "Stripe failed";
    return Decision.reject("stripe_unavailable", message);
  }
}
