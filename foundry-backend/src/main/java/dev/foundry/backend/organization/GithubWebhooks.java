package dev.foundry.backend.organization;

import static dev.foundry.backend.organization.OrganizationActor.blank;
import static dev.foundry.backend.organization.OrganizationActor.now;

import dev.foundry.backend.organization.OrganizationEvents.Event;
import dev.foundry.backend.organization.OrganizationEvents.GithubDeliveryRecorded;
import dev.foundry.backend.organization.OrganizationEvents.GithubWebhookReceived;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.GithubDataProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.RecordGithubDelivery;
import dev.foundry.backend.protocol.OrganizationProtocol.RecordGithubWebhook;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.Outbound;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GitHub webhook deliveries (spec §2.1, §11.4) in both roles: the {@code app} instance takes each
 * {@code X-GitHub-Delivery} id once, durably, and passes the delivery on through the outbox, so the
 * webhook is answered as soon as that record is written; the organization then records the receipt
 * ({@code lastWebhookAt}, {@code lastWebhookEvent}) and its audit entry.
 */
final class GithubWebhooks {
  private final DurableRuntime runtime;

  GithubWebhooks(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  /** Upstream's {@code githubLastWebhookEvent}: {@code event.action}, or the event alone. */
  static String eventName(String event, String action) {
    return blank(action) ? event : event + "." + action;
  }

  // app role -----------------------------------------------------------------------------------

  Decision<Boolean> recordDelivery(RecordGithubDelivery cmd, OrganizationTables tables) {
    if (blank(cmd.deliveryId()) || blank(cmd.event())) {
      return Decision.reject("invalid_delivery", "a GitHub delivery needs an id and an event");
    }
    if (tables.githubDeliverySeen(cmd.deliveryId())) {
      return Decision.reply(false);
    }
    String organizationId =
        cmd.organizationId() != null
                && OrganizationIds.valid(cmd.organizationId())
                && !OrganizationIds.APP.equals(cmd.organizationId())
            ? cmd.organizationId()
            : null;
    return Decision.<Boolean>persist(
            new GithubDeliveryRecorded(
                cmd.deliveryId(),
                cmd.event(),
                cmd.action(),
                organizationId,
                now(),
                organizationId == null ? null : cmd.work()))
        .thenReply(() -> true);
  }

  /** What a recorded delivery asks of its organization, sent through the app's outbox. */
  List<Outbound.Tell> appTells(List<Event> events) {
    List<Outbound.Tell> tells = new ArrayList<>();
    for (Event event : events) {
      if (event instanceof GithubDeliveryRecorded e && e.organizationId() != null) {
        tells.add(
            new Outbound.Tell(
                // getOrCreate: a delivery may come before anyone signed in (the organization then
                // answers that it records nothing), and a missing actor must not stall the outbox.
                runtime.getOrCreate(
                    OrganizationProtocol.TYPE, OrganizationProtocol.key(e.organizationId())),
                new RecordGithubWebhook(e.deliveryId(), e.event(), e.action(), e.at())));
        if (e.work() != null) {
          // The delivery's effect on the organization's GitHub cache (spec §2.1 dispatch).
          tells.add(
              new Outbound.Tell(
                  runtime.getOrCreate(
                      GithubDataProtocol.TYPE, GithubDataProtocol.key(e.organizationId())),
                  e.work()));
        }
      }
    }
    return tells;
  }

  // organization role --------------------------------------------------------------------------

  /** Behind the organization-only guard: an organization never created records nothing. */
  Decision<Boolean> recordWebhook(RecordGithubWebhook cmd, OrganizationTables tables) {
    if (!tables.initialized()) {
      return Decision.reply(false);
    }
    if (blank(cmd.deliveryId()) || blank(cmd.event())) {
      return Decision.reject("invalid_delivery", "a GitHub delivery needs an id and an event");
    }
    return Decision.<Boolean>persist(
            new GithubWebhookReceived(
                cmd.deliveryId(), cmd.event(), cmd.action(), cmd.receivedAt()))
        .thenReply(() -> true);
  }

  /** The audit entry of each delivery, deduplicated by its delivery id. */
  List<Outbound.Tell> organizationTells(String organizationId, List<Event> events) {
    List<Outbound.Tell> tells = new ArrayList<>();
    for (Event event : events) {
      if (event instanceof GithubWebhookReceived e) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("deliveryId", e.deliveryId());
        payload.put("event", e.event());
        if (!blank(e.action())) {
          payload.put("action", e.action());
        }
        tells.add(
            new Outbound.Tell(
                runtime.getOrCreate(AuditLogProtocol.TYPE, AuditLogProtocol.key(organizationId)),
                new AuditLogProtocol.Append(
                    "github.webhook." + eventName(e.event(), e.action()),
                    null,
                    null,
                    null,
                    payload,
                    "github-delivery/" + e.deliveryId())));
      }
    }
    return tells;
  }

  // sync progress and closed pull requests (from the github-data actor) --------------------------

  Decision<Boolean> applySyncProgress(
      OrganizationProtocol.ApplyGithubSyncProgress cmd, OrganizationTables tables) {
    if (!tables.initialized() || cmd.seq() <= tables.githubProgressSeq()) {
      // Not created yet, or a report older than the one shown (the outbox keeps no order).
      return Decision.reply(false);
    }
    return Decision.<Boolean>persist(
            new OrganizationEvents.GithubSyncProgressApplied(
                cmd.seq(),
                cmd.connectedAccount(),
                cmd.installationStatus(),
                cmd.syncStatus(),
                cmd.label(),
                cmd.lastSyncAt(),
                cmd.generation(),
                cmd.phase(),
                cmd.processed(),
                cmd.total(),
                now()))
        .thenReply(() -> true);
  }
}
