package dev.foundry.backend.billing;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.Invoice;
import com.stripe.model.PaymentMethod;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import com.stripe.model.checkout.Session;
import com.stripe.net.RequestOptions;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.InvoiceRetrieveParams;
import com.stripe.param.SubscriptionRetrieveParams;
import com.stripe.param.SubscriptionUpdateParams;
import com.stripe.param.checkout.SessionCreateParams;
import com.stripe.param.checkout.SessionRetrieveParams;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.shared.app.FoundryInvoice;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Foundry's calls to Stripe's API (spec §2.2), through {@code stripe-java} on the actor system's
 * blocking dispatcher (its HTTP client blocks). One per actor system, configured once at start;
 * unconfigured ({@code STRIPE_SECRET_KEY} unset) it refuses every call with {@link
 * BillingUnavailableException}. Creating calls carry an idempotency key chosen by the caller, so a
 * command that is decided again after a crash does not create a second customer or session.
 */
public final class StripeGateway implements Extension {
  public static final ExtensionId<StripeGateway> ID =
      new ExtensionId<>() {
        @Override
        public StripeGateway createExtension(ActorSystem<?> system) {
          return new StripeGateway(system.dispatchers().lookup(DispatcherSelector.blocking()));
        }
      };

  public static StripeGateway get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** What a completed checkout left in Stripe: its customer, subscription and organization. */
  public record CheckoutCompletion(
      String organizationId, String customerId, StripeSubscription subscription) {}

  /** An invoice of a customer, in the shape the billing page shows. */
  public record CustomerInvoice(String customerId, FoundryInvoice invoice) {}

  private final Executor executor;
  private volatile StripeClient client;
  private volatile FoundrySettings.Stripe stripe;
  private volatile String appUrl;
  private volatile String apiUrl;

  private StripeGateway(Executor executor) {
    this.executor = executor;
  }

  /** Called once at start, before any actor may call Stripe. */
  public StripeGateway configure(FoundrySettings settings) {
    FoundrySettings.Stripe s = settings.stripe();
    this.stripe = s;
    this.appUrl = settings.appUrl().replaceAll("/+$", "");
    this.apiUrl = settings.apiUrl().replaceAll("/+$", "");
    this.client =
        s.configured()
            ? StripeClient.builder()
                .setApiKey(s.secretKey())
                .setApiBase(s.apiBase())
                .setConnectTimeout(10_000)
                .setReadTimeout(30_000)
                .setMaxNetworkRetries(2)
                .build()
            : null;
    return this;
  }

  public boolean configured() {
    return client != null;
  }

  /** The Team plan's price ({@code STRIPE_PRICE_TEAM}). */
  public String teamPriceId() {
    return stripe == null ? "" : stripe.priceTeam();
  }

  /** Where the browser lands on the organization's billing page. */
  public String billingPageUrl(String organizationId) {
    return appUrl + "/organizations/" + encode(organizationId) + "/billing";
  }

  /** Creates the organization's customer ({@code POST /v1/customers}). */
  public CompletionStage<String> createCustomer(
      String organizationId, String name, String email, String idempotencyKey) {
    return call(
        c -> {
          CustomerCreateParams.Builder p =
              CustomerCreateParams.builder()
                  .setName(name)
                  .putMetadata("organizationId", organizationId);
          // Stripe refuses an address without a domain (a dev user's "alice@localhost").
          if (email != null && email.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
            p.setEmail(email);
          }
          return c.v1().customers().create(p.build(), idempotent(idempotencyKey)).getId();
        });
  }

  /** A Checkout Session for the Team plan; answers its URL. */
  public CompletionStage<String> createCheckoutSession(
      String organizationId, String customerId, String idempotencyKey) {
    return call(
        c -> {
          SessionCreateParams p =
              SessionCreateParams.builder()
                  .setMode(SessionCreateParams.Mode.SUBSCRIPTION)
                  .setCustomer(customerId)
                  .addLineItem(
                      SessionCreateParams.LineItem.builder()
                          .setPrice(stripe.priceTeam())
                          .setQuantity(1L)
                          .build())
                  .putMetadata("organizationId", organizationId)
                  .putMetadata("planId", BillingPlan.TEAM)
                  .setSubscriptionData(
                      SessionCreateParams.SubscriptionData.builder()
                          .putMetadata("organizationId", organizationId)
                          .putMetadata("planId", BillingPlan.TEAM)
                          .build())
                  .setSuccessUrl(
                      apiUrl
                          + "/v1/billing/checkout/complete?organizationId="
                          + encode(organizationId)
                          + "&session_id={CHECKOUT_SESSION_ID}")
                  .setCancelUrl(billingPageUrl(organizationId))
                  .build();
          return c.v1().checkout().sessions().create(p, idempotent(idempotencyKey)).getUrl();
        });
  }

  /** A completed Checkout Session with its subscription as Stripe has it now. */
  public CompletionStage<CheckoutCompletion> checkoutCompletion(String checkoutSessionId) {
    return call(
        c -> {
          Session session =
              c.v1()
                  .checkout()
                  .sessions()
                  .retrieve(
                      checkoutSessionId,
                      SessionRetrieveParams.builder().addExpand("subscription").build());
          String organizationId =
              session.getMetadata() == null ? null : session.getMetadata().get("organizationId");
          StripeSubscription subscription =
              session.getSubscription() == null ? null : subscription(c, session.getSubscription());
          return new CheckoutCompletion(organizationId, session.getCustomer(), subscription);
        });
  }

  /** The subscription's current state ({@code GET /v1/subscriptions/{id}}). */
  public CompletionStage<StripeSubscription> subscription(String subscriptionId) {
    return call(c -> subscription(c, subscriptionId));
  }

  /** Cancels the renewal at period end ({@code true}) or undoes that ({@code false}). */
  public CompletionStage<StripeSubscription> cancelAtPeriodEnd(
      String subscriptionId, boolean cancel, String idempotencyKey) {
    return call(
        c -> {
          c.v1()
              .subscriptions()
              .update(
                  subscriptionId,
                  SubscriptionUpdateParams.builder().setCancelAtPeriodEnd(cancel).build(),
                  idempotent(idempotencyKey));
          return subscription(c, subscriptionId);
        });
  }

  /** A billing portal session for the customer; answers its URL. */
  public CompletionStage<String> createPortalSession(String customerId, String organizationId) {
    return call(
        c ->
            c.v1()
                .billingPortal()
                .sessions()
                .create(
                    com.stripe.param.billingportal.SessionCreateParams.builder()
                        .setCustomer(customerId)
                        .setReturnUrl(billingPageUrl(organizationId))
                        .build())
                .getUrl());
  }

  /**
   * The invoice as Stripe has it now: labelled "Invoice {number}", issued on its creation day
   * (UTC), its amount in whole dollars (paid: what was paid, else what is due), paid or open.
   */
  public CompletionStage<CustomerInvoice> invoice(String invoiceId) {
    return call(
        c -> {
          Invoice i =
              c.v1().invoices().retrieve(invoiceId, InvoiceRetrieveParams.builder().build());
          boolean paid = "paid".equals(i.getStatus());
          Long cents = paid ? i.getAmountPaid() : i.getAmountDue();
          String issued =
              i.getCreated() == null
                  ? Instant.now().atZone(ZoneOffset.UTC).toLocalDate().toString()
                  : Instant.ofEpochSecond(i.getCreated())
                      .atZone(ZoneOffset.UTC)
                      .toLocalDate()
                      .toString();
          return new CustomerInvoice(
              i.getCustomer(),
              new FoundryInvoice(
                  i.getId(),
                  i.getNumber() == null ? "Stripe invoice" : "Invoice " + i.getNumber(),
                  issued,
                  cents == null ? 0 : Math.round(cents / 100.0),
                  paid ? "paid" : "open"));
        });
  }

  private static StripeSubscription subscription(StripeClient c, String id) throws StripeException {
    Subscription s =
        c.v1()
            .subscriptions()
            .retrieve(
                id,
                SubscriptionRetrieveParams.builder().addExpand("default_payment_method").build());
    SubscriptionItem item =
        s.getItems() == null || s.getItems().getData() == null || s.getItems().getData().isEmpty()
            ? null
            : s.getItems().getData().get(0);
    return new StripeSubscription(
        s.getId(),
        s.getCustomer(),
        item == null || item.getPrice() == null ? null : item.getPrice().getId(),
        s.getStatus(),
        Boolean.TRUE.equals(s.getCancelAtPeriodEnd()),
        periodEnd(s, item),
        s.getTrialEnd(),
        paymentMethodLabel(s.getDefaultPaymentMethodObject()),
        s.getMetadata() == null ? null : s.getMetadata().get("organizationId"));
  }

  /**
   * The period's end: on the first item since Stripe's 2025-03-31 API, on the subscription itself
   * in older API versions (an account pinned to one), which the model no longer maps.
   */
  private static Long periodEnd(Subscription s, SubscriptionItem item) {
    if (item != null && item.getCurrentPeriodEnd() != null) {
      return item.getCurrentPeriodEnd();
    }
    var raw = s.getRawJsonObject();
    if (raw != null
        && raw.has("current_period_end")
        && raw.get("current_period_end").isJsonPrimitive()) {
      return raw.get("current_period_end").getAsLong();
    }
    return null;
  }

  /** "{Brand} ending in {last4}" (upstream's label), or null without a card. */
  private static String paymentMethodLabel(PaymentMethod pm) {
    if (pm == null || pm.getCard() == null || pm.getCard().getLast4() == null) {
      return null;
    }
    String brand = pm.getCard().getBrand() == null ? "Card" : pm.getCard().getBrand();
    return brand.substring(0, 1).toUpperCase(Locale.ROOT)
        + brand.substring(1)
        + " ending in "
        + pm.getCard().getLast4();
  }

  @FunctionalInterface
  private interface StripeCall<T> {
    T apply(StripeClient client) throws StripeException;
  }

  private <T> CompletionStage<T> call(StripeCall<T> work) {
    StripeClient c = client;
    if (c == null) {
      return CompletableFuture.failedFuture(new BillingUnavailableException());
    }
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return work.apply(c);
          } catch (StripeException e) {
            throw new StripeCallException(e);
          }
        },
        executor);
  }

  private static RequestOptions idempotent(String key) {
    return RequestOptions.builder().setIdempotencyKey(key).build();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
