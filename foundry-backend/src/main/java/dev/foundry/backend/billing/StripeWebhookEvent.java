package dev.foundry.backend.billing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Set;

/**
 * A verified Stripe event, reduced to what decides its effect: its id (deduplication), its type,
 * and the ids of the objects it names. The object's state in the body is never trusted as current:
 * events arrive out of order, so the organization reads the subscription or invoice from Stripe.
 *
 * @param organizationId {@code metadata.organizationId} of the object, or null
 */
public record StripeWebhookEvent(
    String id,
    String type,
    String organizationId,
    String customerId,
    String subscriptionId,
    String invoiceId) {

  /** The event types that change an organization's billing; any other is acknowledged only. */
  public static final Set<String> HANDLED =
      Set.of(
          "checkout.session.completed",
          "customer.subscription.created",
          "customer.subscription.updated",
          "customer.subscription.deleted",
          "invoice.paid",
          "invoice.payment_failed");

  private static final ObjectMapper JSON = new ObjectMapper();

  public boolean handled() {
    return HANDLED.contains(type);
  }

  /**
   * Parses Stripe's event shape {@code {id, type, data:{object}}}.
   *
   * @throws IllegalArgumentException when the body is not such an event
   */
  public static StripeWebhookEvent parse(String payload) {
    JsonNode root;
    try {
      root = JSON.readTree(payload);
    } catch (IOException e) {
      throw new IllegalArgumentException("the body is not JSON");
    }
    if (root == null
        || !root.isObject()
        || !root.path("id").isTextual()
        || root.path("id").asText().isBlank()
        || !root.path("type").isTextual()) {
      throw new IllegalArgumentException("the body is not a Stripe event (id, type)");
    }
    String type = root.path("type").asText();
    JsonNode object = root.path("data").path("object");
    String organizationId = text(object.path("metadata").path("organizationId"));
    String customer = id(object.path("customer"));
    String subscription = null;
    String invoice = null;
    if (type.startsWith("customer.subscription.")) {
      subscription = text(object.path("id"));
    } else if (type.startsWith("invoice.")) {
      invoice = text(object.path("id"));
      subscription = id(object.path("subscription"));
      if (subscription == null) {
        // Since Stripe's 2025 API the invoice names its subscription under parent.
        subscription = id(object.path("parent").path("subscription_details").path("subscription"));
      }
    } else if (type.equals("checkout.session.completed")) {
      subscription = id(object.path("subscription"));
    }
    return new StripeWebhookEvent(
        root.path("id").asText(), type, organizationId, customer, subscription, invoice);
  }

  /** An id field that Stripe sends either as a string or, expanded, as an object with an id. */
  private static String id(JsonNode node) {
    return node.isObject() ? text(node.path("id")) : text(node);
  }

  private static String text(JsonNode node) {
    return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
  }
}
