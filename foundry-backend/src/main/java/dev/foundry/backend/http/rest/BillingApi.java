package dev.foundry.backend.http.rest;

import dev.foundry.backend.billing.StripeGateway;
import dev.foundry.backend.billing.StripeSignature;
import dev.foundry.backend.billing.StripeWebhookEvent;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.BillingUrl;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryBillingState;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;

/**
 * Billing (spec §2.2, §11.5): checkout, its completion, the billing portal, cancelling and resuming
 * the renewal, and Stripe's webhook. The organization's actor talks to Stripe; this layer decides
 * who may ask ({@link #mayManageBilling}) and checks the webhook's signature before anything reads
 * its body.
 */
final class BillingApi {
  /** Stripe's success redirect target; the only billing route outside an organization's path. */
  static final String CHECKOUT_COMPLETE = "/v1/billing/checkout/complete";

  /** What the webhook answers once the event is durably taken (or was taken before). */
  public record WebhookAck(boolean ok) {}

  private final DurableRuntime runtime;
  private final ResourceAccess access;
  private final FoundrySettings.Stripe stripe;
  private final StripeSignature signature;

  BillingApi(FoundrySettings settings, DurableRuntime runtime, ResourceAccess access) {
    this.runtime = runtime;
    this.access = access;
    this.stripe = settings.stripe();
    this.signature = new StripeSignature(stripe.webhookSecret(), Clock.systemUTC());
  }

  /**
   * Who manages an organization's billing: its owner. The one place that decides it, so that the
   * roles GitHub sign-in brings (organization admins) are added here.
   */
  static boolean mayManageBilling(FoundryOrganization org, String userId) {
    return org.members().stream()
        .anyMatch(
            m -> m.id().equals(userId) && "owner".equals(m.role()) && "active".equals(m.state()));
  }

  private DurableRef<OrganizationProtocol.Command<?>> org(String organizationId) {
    return runtime.get(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId));
  }

  private static void requireOwner(Call call) {
    if (!mayManageBilling(call.organization(), call.userId())) {
      throw new ApiException(
          StatusCodes.FORBIDDEN,
          "owner_required",
          "only the organization's owner manages its billing");
    }
  }

  CompletionStage<BillingUrl> checkout(Call call) {
    requireOwner(call);
    String email =
        call.organization().members().stream()
            .filter(m -> m.id().equals(call.userId()))
            .map(FoundryOrganizationMember::email)
            .findFirst()
            .orElse(null);
    return org(call.org()).ask(new OrganizationProtocol.StartCheckout(email));
  }

  CompletionStage<BillingUrl> portal(Call call) {
    requireOwner(call);
    return org(call.org()).ask(new OrganizationProtocol.OpenBillingPortal());
  }

  CompletionStage<FoundryBillingState> cancel(Call call) {
    requireOwner(call);
    return org(call.org())
        .ask(new OrganizationProtocol.SetCancelAtPeriodEnd(true))
        .thenApply(FoundryOrganization::billing);
  }

  CompletionStage<FoundryBillingState> resume(Call call) {
    requireOwner(call);
    return org(call.org())
        .ask(new OrganizationProtocol.SetCancelAtPeriodEnd(false))
        .thenApply(FoundryOrganization::billing);
  }

  /**
   * Stripe sends the browser here after Checkout: the session's subscription is applied and the
   * browser goes on to the organization's billing page under {@code APP_URL}.
   */
  CompletionStage<Reply> completeCheckout(Call call) {
    String organizationId = call.query("organizationId").orElse("");
    String sessionId = call.query("session_id").orElse("");
    if (organizationId.isBlank() || sessionId.isBlank()) {
      throw ApiErrors.badRequest(
          "missing_parameter", "Missing Stripe checkout completion parameters");
    }
    if (!ResourceAccess.validId(sessionId)) {
      throw ApiErrors.badRequest("invalid_parameter", "session_id is not a Stripe session id");
    }
    return access
        .requireMember(call.userId(), organizationId, false)
        .thenCompose(
            org -> org(organizationId).ask(new OrganizationProtocol.FinalizeCheckout(sessionId)))
        .thenApply(
            org -> {
              HttpHeader location =
                  Location.create(
                      StripeGateway.get(runtime.system()).billingPageUrl(organizationId));
              return Reply.of(StatusCodes.FOUND.intValue(), null, location);
            });
  }

  /**
   * {@code POST /v1/webhooks/stripe}: the signature over the raw body first (400 when missing or
   * malformed, 403 when wrong or older than five minutes), then the event is taken durably by its
   * id and answered; its effect runs after, in its organization. A redelivered id answers 200 and
   * changes nothing; an event type Foundry does not handle is acknowledged and ignored.
   */
  CompletionStage<WebhookAck> webhook(Call call) {
    if (stripe.webhookSecret().isEmpty()) {
      // Nothing could tell Stripe's deliveries from anyone else's.
      throw new ApiException(
          StatusCodes.SERVICE_UNAVAILABLE,
          "billing_not_configured",
          "Stripe webhooks need STRIPE_WEBHOOK_SECRET");
    }
    String payload = new String(call.body(RawBody.class).bytes(), StandardCharsets.UTF_8);
    String header =
        call.request().getHeader("Stripe-Signature").map(HttpHeader::value).orElse(null);
    try {
      signature.verify(payload, header);
    } catch (StripeSignature.Refused e) {
      // API.md: a missing or unreadable header is a malformed request (400); a signature that
      // does not sign this body, or signed it too long ago, is refused (403).
      if (e.code().equals("missing_signature") || e.code().equals("malformed_signature")) {
        throw ApiErrors.badRequest(e.code(), e.getMessage());
      }
      throw new ApiException(StatusCodes.FORBIDDEN, e.code(), e.getMessage());
    }
    StripeWebhookEvent event;
    try {
      event = StripeWebhookEvent.parse(payload);
    } catch (IllegalArgumentException e) {
      throw ApiErrors.badRequest("invalid_event", e.getMessage());
    }
    if (!event.handled()) {
      return CompletableFuture.completedFuture(new WebhookAck(true));
    }
    return runtime
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP))
        .ask(
            new OrganizationProtocol.RecordStripeEvent(
                event.id(),
                event.type(),
                event.organizationId(),
                event.customerId(),
                event.subscriptionId(),
                event.invoiceId()))
        .thenApply(taken -> new WebhookAck(true));
  }
}
