package dev.foundry.backend.organization;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.GithubDataProtocol;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.shared.app.FoundryInvoice;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;

/**
 * What the organization actor journals, for both roles: the {@code organization.app.*} events are
 * the app instance's sign-in indexes, the others a real organization's. No other package uses them
 * (they are public because the actor's kind names their root). Their {@code @JsonTypeName}s are the
 * names on disk and never change.
 */
public final class OrganizationEvents {
  private OrganizationEvents() {}

  public sealed interface Event extends DurableEvent {}

  @JsonTypeName("organization.profile-created")
  public record ProfileCreated(
      String kind,
      String githubLogin,
      String displayName,
      String slug,
      String primaryDomain,
      long at)
      implements Event {}

  @JsonTypeName("organization.profile-updated")
  public record ProfileUpdated(String displayName, String slug, String primaryDomain, long at)
      implements Event {}

  @JsonTypeName("organization.member-upserted")
  public record MemberUpserted(FoundryOrganizationMember member, long at) implements Event {}

  @JsonTypeName("organization.member-removed")
  public record MemberRemoved(String memberId) implements Event {}

  @JsonTypeName("organization.repository-added")
  public record RepositoryAdded(
      String repoId, String remoteUrl, String label, String defaultBranch, long at)
      implements Event {}

  @JsonTypeName("organization.task-indexed")
  /** {@code userId}: who created the task (its first owner); null in entries from before. */
  public record TaskIndexed(String taskId, String repoId, String branchName, long at, String userId)
      implements Event {}

  @JsonTypeName("organization.task-materialized")
  public record TaskMaterialized(String taskId, long at) implements Event {}

  @JsonTypeName("organization.task-summary-applied")
  public record TaskSummaryApplied(WorkspaceTaskSummary summary) implements Event {}

  @JsonTypeName("organization.task-summary-removed")
  public record TaskSummaryRemoved(String taskId) implements Event {}

  @JsonTypeName("organization.virtual-task-added")
  public record VirtualTaskAdded(
      String taskId,
      String repoId,
      String branchName,
      String title,
      String repoName,
      WorkspacePullRequestSummary pullRequest,
      long updatedAtMs)
      implements Event {}

  @JsonTypeName("organization.task-pull-request-refreshed")
  public record TaskPullRequestRefreshed(
      String taskId, WorkspacePullRequestSummary pullRequest, long updatedAtMs) implements Event {}

  @JsonTypeName("organization.billing.customer-linked")
  public record BillingCustomerLinked(String customerId, long at) implements Event {}

  /** The organization's billing as a live Stripe subscription makes it (read from Stripe). */
  @JsonTypeName("organization.billing.subscription-applied")
  public record BillingSubscriptionApplied(
      String subscriptionId,
      String customerId,
      String priceId,
      String planId,
      String status,
      int seatsIncluded,
      String trialEndsAt,
      String renewalAt,
      String paymentMethodLabel,
      long at)
      implements Event {}

  /** Back on the free plan: the subscription ended; it is forgotten, the customer kept. */
  @JsonTypeName("organization.billing.free-plan-applied")
  public record BillingFreePlanApplied(long at) implements Event {}

  @JsonTypeName("organization.billing.invoice-upserted")
  public record InvoiceUpserted(FoundryInvoice invoice, long at) implements Event {}

  @JsonTypeName("organization.app.session-indexed")
  public record SessionIndexed(String sessionId, String userId, long at) implements Event {}

  @JsonTypeName("organization.app.session-removed")
  public record SessionRemoved(String sessionId, String userId) implements Event {}

  @JsonTypeName("organization.app.email-indexed")
  public record EmailIndexed(String email, String userId, long at) implements Event {}

  @JsonTypeName("organization.app.account-indexed")
  public record AccountIndexed(String providerId, String accountId, String userId, long at)
      implements Event {}

  @JsonTypeName("organization.app.active-organization-selected")
  public record ActiveOrganizationSelected(
      String sessionId, String userId, String organizationId, long at) implements Event {}

  /** A Stripe webhook event taken (its id is never taken again) and where it was routed. */
  @JsonTypeName("organization.app.stripe-event-recorded")
  public record StripeEventRecorded(
      String eventId,
      String type,
      String organizationId,
      String subscriptionId,
      String invoiceId,
      long at)
      implements Event {}

  @JsonTypeName("organization.app.stripe-object-linked")
  public record StripeObjectLinked(String lookupKey, String organizationId, long at)
      implements Event {}

  /**
   * What the last membership sync saw of the GitHub App on this organization's account: its
   * installation (null: not installed) and the status that follows ({@code connected}, {@code
   * install_required}, {@code reconnect_required}).
   */
  @JsonTypeName("organization.github-installation-recorded")
  public record GithubInstallationRecorded(
      Long installationId, String accountType, String installationStatus, long at)
      implements Event {}

  /**
   * A GitHub webhook delivery taken by its {@code X-GitHub-Delivery} id (never taken again) and the
   * organization its account maps to (null: none of ours to tell).
   */
  @JsonTypeName("organization.app.github-delivery-recorded")
  public record GithubDeliveryRecorded(
      String deliveryId,
      String event,
      String action,
      String organizationId,
      long at,
      GithubDataProtocol.Command<?> work)
      implements Event {}

  /**
   * A GitHub delivery reached this organization: {@code lastWebhookAt}, {@code lastWebhookEvent}.
   */
  @JsonTypeName("organization.github-webhook-received")
  public record GithubWebhookReceived(String deliveryId, String event, String action, long at)
      implements Event {}

  /** The github-data actor's sync state as last reported ({@code seq} orders the reports). */
  @JsonTypeName("organization.github-sync-progress-applied")
  public record GithubSyncProgressApplied(
      long seq,
      String connectedAccount,
      String installationStatus,
      String syncStatus,
      String label,
      Long lastSyncAt,
      long generation,
      String phase,
      int processed,
      int total,
      long at)
      implements Event {}
}
