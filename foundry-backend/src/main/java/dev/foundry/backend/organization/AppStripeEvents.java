package dev.foundry.backend.organization;

import static dev.foundry.backend.organization.OrganizationActor.blank;
import static dev.foundry.backend.organization.OrganizationActor.now;

import dev.foundry.backend.organization.OrganizationEvents.BillingCustomerLinked;
import dev.foundry.backend.organization.OrganizationEvents.BillingSubscriptionApplied;
import dev.foundry.backend.organization.OrganizationEvents.Event;
import dev.foundry.backend.organization.OrganizationEvents.StripeEventRecorded;
import dev.foundry.backend.organization.OrganizationEvents.StripeObjectLinked;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.LinkStripeObject;
import dev.foundry.backend.protocol.OrganizationProtocol.RecordStripeEvent;
import dev.foundry.backend.protocol.OrganizationProtocol.SyncStripeInvoice;
import dev.foundry.backend.protocol.OrganizationProtocol.SyncStripeSubscription;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.Outbound;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code app} instance's part of Stripe webhooks (spec §2.2): each event id is taken once,
 * durably, and the event is routed to its organization as a sync command through the outbox, so the
 * webhook is answered as soon as that record is written. The lookup from Stripe customers and
 * subscriptions to organizations is kept here too ({@code stripe_lookup}).
 */
final class AppStripeEvents {
  private final DurableRuntime runtime;

  AppStripeEvents(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  Decision<Boolean> recordStripeEvent(RecordStripeEvent cmd, OrganizationTables tables) {
    if (blank(cmd.eventId()) || blank(cmd.type())) {
      return Decision.reject("invalid_event", "a Stripe event needs an id and a type");
    }
    if (tables.stripeEventSeen(cmd.eventId())) {
      return Decision.reply(false);
    }
    String organizationId = organizationOf(cmd, tables);
    long at = now();
    List<Event> events = new ArrayList<>();
    events.add(
        new StripeEventRecorded(
            cmd.eventId(),
            cmd.type(),
            organizationId,
            organizationId == null ? null : cmd.subscriptionId(),
            organizationId == null ? null : cmd.invoiceId(),
            at));
    if (organizationId != null) {
      if (!blank(cmd.customerId())
          && !organizationId.equals(tables.stripeLookup(customerKey(cmd.customerId())))) {
        events.add(new StripeObjectLinked(customerKey(cmd.customerId()), organizationId, at));
      }
      if (!blank(cmd.subscriptionId())
          && !organizationId.equals(tables.stripeLookup(subscriptionKey(cmd.subscriptionId())))) {
        events.add(
            new StripeObjectLinked(subscriptionKey(cmd.subscriptionId()), organizationId, at));
      }
    }
    return Decision.<Boolean>persist(events).thenReply(() -> true);
  }

  Decision<Boolean> linkStripeObject(LinkStripeObject cmd, OrganizationTables tables) {
    if (blank(cmd.lookupKey()) || blank(cmd.organizationId())) {
      return Decision.reject("invalid_lookup", "a lookup key and an organization are required");
    }
    if (cmd.organizationId().equals(tables.stripeLookup(cmd.lookupKey()))) {
      return Decision.reply(true);
    }
    return Decision.<Boolean>persist(
            new StripeObjectLinked(cmd.lookupKey(), cmd.organizationId(), now()))
        .thenReply(() -> true);
  }

  /**
   * The organization of an event: the objects Foundry linked (subscription, then customer) come
   * first; {@code metadata.organizationId}, which Foundry set on the Checkout Session and the
   * subscription, only when nothing is linked yet (a checkout that completes before its customer
   * link arrived). Null when neither says, or the id cannot be an organization's.
   */
  private static String organizationOf(RecordStripeEvent cmd, OrganizationTables tables) {
    String found = null;
    if (!blank(cmd.subscriptionId())) {
      found = tables.stripeLookup(subscriptionKey(cmd.subscriptionId()));
    }
    if (found == null && !blank(cmd.customerId())) {
      found = tables.stripeLookup(customerKey(cmd.customerId()));
    }
    if (found == null && !blank(cmd.organizationId())) {
      found = cmd.organizationId();
    }
    return found == null || OrganizationIds.APP.equals(found) || !OrganizationIds.valid(found)
        ? null
        : found;
  }

  /** The sync commands a recorded event asks of its organization, sent through the outbox. */
  List<Outbound.Tell> durableTells(List<Event> events) {
    List<Outbound.Tell> tells = new ArrayList<>();
    for (Event event : events) {
      if (event instanceof StripeEventRecorded e && e.organizationId() != null) {
        var org =
            runtime.getOrCreate(
                OrganizationProtocol.TYPE, OrganizationProtocol.key(e.organizationId()));
        if (e.invoiceId() != null) {
          tells.add(new Outbound.Tell(org, new SyncStripeInvoice(e.invoiceId())));
        } else if (e.subscriptionId() != null) {
          tells.add(new Outbound.Tell(org, new SyncStripeSubscription(e.subscriptionId())));
        }
      }
    }
    return tells;
  }

  /** What a real organization tells the app when it learns its Stripe customer or subscription. */
  static List<Outbound.Tell> links(
      DurableRuntime runtime, String organizationId, List<Event> events) {
    List<Outbound.Tell> tells = new ArrayList<>();
    var app =
        runtime.getOrCreate(
            OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP));
    for (Event event : events) {
      if (event instanceof BillingCustomerLinked e) {
        tells.add(
            new Outbound.Tell(
                app, new LinkStripeObject(customerKey(e.customerId()), organizationId)));
      } else if (event instanceof BillingSubscriptionApplied e) {
        tells.add(
            new Outbound.Tell(
                app, new LinkStripeObject(subscriptionKey(e.subscriptionId()), organizationId)));
        if (e.customerId() != null) {
          tells.add(
              new Outbound.Tell(
                  app, new LinkStripeObject(customerKey(e.customerId()), organizationId)));
        }
      }
    }
    return tells;
  }

  static String customerKey(String id) {
    return "customer:" + id;
  }

  static String subscriptionKey(String id) {
    return "subscription:" + id;
  }
}
