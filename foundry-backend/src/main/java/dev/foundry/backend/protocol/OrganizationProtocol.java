package dev.foundry.backend.protocol;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorType;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.IdempotentCommand;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** How other actors and the HTTP layer talk to an organization and to the {@code app} instance. */
public final class OrganizationProtocol {
  private OrganizationProtocol() {}

  /**
   * The persisted name {@code "organization"} and the command root: how callers address an
   * organization, and the {@code app} instance that holds the sign-in indexes.
   */
  public static final ActorType<Command<?>> TYPE = ActorType.of("organization", Command.class);

  /** One organization, or the {@code app} instance ({@code organizationId} "app"). */
  public record OrganizationAddress(String organizationId) {
    public ActorKey key() {
      return ActorKey.of("org", organizationId);
    }

    public static OrganizationAddress of(ActorKey key) {
      return new OrganizationAddress(key.segments().get(1));
    }
  }

  public static ActorKey key(String organizationId) {
    return new OrganizationAddress(organizationId).key();
  }

  // 2. Commands: real organization ------------------------------------------------------------

  public sealed interface Command<R> extends DurableCommand<R> {}

  /** Marker of the commands only a real organization accepts. */
  public sealed interface OrganizationCommand<R> extends Command<R> {}

  /** Marker of the commands only the {@code app} instance accepts. */
  public sealed interface AppCommand<R> extends Command<R> {}

  /**
   * Creates the organization (or refreshes its owner member): {@code kind} is personal or
   * organization; the member becomes owner (personal) or admin.
   */
  @JsonTypeName("organization.initialize")
  public record InitializeOrganization(
      String kind, String githubLogin, String displayName, FoundryOrganizationMember member)
      implements OrganizationCommand<FoundryOrganization> {}

  /** Changes the non-blank fields of the profile. */
  @JsonTypeName("organization.update-profile")
  public record UpdateProfile(String displayName, String slug, String primaryDomain)
      implements OrganizationCommand<FoundryOrganization> {}

  @JsonTypeName("organization.upsert-member")
  public record UpsertMember(FoundryOrganizationMember member)
      implements OrganizationCommand<FoundryOrganization> {}

  /**
   * Records the GitHub App's installation on this organization's account as a sync saw it ({@code
   * installationId} null when not installed); {@code installationStatus} is {@code connected},
   * {@code install_required} or {@code reconnect_required}.
   */
  @JsonTypeName("organization.record-github-installation")
  public record RecordGithubInstallation(
      Long installationId, String accountType, String installationStatus)
      implements OrganizationCommand<FoundryOrganization> {}

  @JsonTypeName("organization.remove-member")
  public record RemoveMember(String memberId) implements OrganizationCommand<FoundryOrganization> {}

  /** Adds a repository by remote URL (idempotent: the same URL answers the same record). */
  @JsonTypeName("organization.add-repository")
  public record AddRepository(String remoteUrl, String defaultBranch)
      implements OrganizationCommand<RepoRecord> {}

  /**
   * A user creates a task: the only path, with {@link MaterializeTask}, that creates a task actor.
   * {@code onBranch} adopts an existing branch; otherwise the branch is {@code explicitBranchName}
   * or a generated one.
   */
  @JsonTypeName("organization.create-task")
  public record CreateTask(
      String repoId,
      String task,
      String explicitTitle,
      String explicitBranchName,
      String onBranch,
      String sandboxProviderId,
      TaskOwner owner,
      String model)
      implements OrganizationCommand<TaskRecord> {

    /**
     * A user's new task on a new branch ({@code branchName} or a generated one), in the default
     * sandbox provider; {@code title}, {@code branchName} and {@code model} may be null.
     */
    public static CreateTask fromPrompt(
        String repoId,
        String prompt,
        String title,
        String branchName,
        TaskOwner owner,
        String model) {
      return new CreateTask(repoId, prompt, title, branchName, null, null, owner, model);
    }

    /**
     * The id of the task a {@code CreateTask} with command id {@code commandId} creates: the same
     * each time the command is decided (a re-decision after a crash, a redelivery).
     */
    public static String taskId(String organizationId, String commandId) {
      return derivedTaskId(organizationId, "command", commandId);
    }

    /** A user's new task adopting the existing branch {@code branch}. */
    public static CreateTask onBranch(
        String repoId, String prompt, String branch, TaskOwner owner, String model) {
      return new CreateTask(repoId, prompt, null, null, branch, null, owner, model);
    }
  }

  /**
   * {@link CreateTask} on behalf of one client request: {@code requestKey} (the user and the
   * request's {@code Idempotency-Key}) decides the task id, so a retry of the same request maps to
   * the same task and creates nothing (the existing task's record is the answer).
   */
  @JsonTypeName("organization.create-task-for-request")
  public record CreateTaskForRequest(String requestKey, CreateTask create)
      implements OrganizationCommand<TaskRecord> {

    /** The id of the task created for {@code requestKey}: the same for every retry. */
    public static String taskId(String organizationId, String requestKey) {
      return derivedTaskId(organizationId, "request", requestKey);
    }
  }

  /**
   * {@link CreateTask} (or {@link CreateTaskForRequest} when {@code requestKey} is set) without the
   * organization waiting for the task: it decides title, branch and id, indexes the task and lists
   * its first summary in one write, and sends the task its {@code Initialize} through its outbox.
   * The caller sends the same {@code Initialize} (idempotent) to answer once the task exists, so
   * the organization's queue never waits on a task's creation.
   */
  @JsonTypeName("organization.place-task")
  public record PlaceTask(CreateTask create, String requestKey)
      implements OrganizationCommand<TaskPlacement> {}

  /**
   * Where a {@link PlaceTask} put the task; {@code initialize} is what to send it, null when the
   * task was placed already (a retry of the same request: the task exists or is being initialized
   * by the organization's outbox).
   */
  public record TaskPlacement(
      String organizationId, String repoId, String taskId, TaskProtocol.Initialize initialize) {}

  /** A name-based UUID, unique per organization and origin (a command id or a request key). */
  private static String derivedTaskId(String organizationId, String origin, String id) {
    return UUID.nameUUIDFromBytes(
            ("task\n" + organizationId + "\n" + origin + "\n" + id)
                .getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  /**
   * A user opens a task: a virtual task gets its actor now (initialized from its summary); a real
   * task answers its record.
   */
  @JsonTypeName("organization.materialize-task")
  public record MaterializeTask(String taskId) implements OrganizationCommand<TaskRecord> {}

  /**
   * A task pushes its summary up (upstream {@code applyTaskSummaryUpdate}). Idempotent: a summary
   * equal to or older than the one held changes nothing, so a redelivery needs no lookup.
   */
  @JsonTypeName("organization.apply-task-summary-update")
  public record ApplyTaskSummaryUpdate(WorkspaceTaskSummary taskSummary)
      implements OrganizationCommand<Boolean>, IdempotentCommand {}

  @JsonTypeName("organization.remove-task-summary")
  public record RemoveTaskSummary(String taskId) implements OrganizationCommand<Boolean> {}

  /**
   * The bulk path (GitHub sync, webhooks): a pull request appeared, changed or went away on a
   * branch. It never creates a task actor: a new branch becomes a virtual task, and only tasks that
   * already have an actor are told.
   */
  @JsonTypeName("organization.refresh-task-summary-for-branch")
  public record RefreshTaskSummaryForBranch(
      String repoId, String branchName, WorkspacePullRequestSummary pullRequest, String repoName)
      implements OrganizationCommand<Boolean> {}

  /**
   * The bulk path for many branches in one command (one journal write): what a repository sync
   * sends instead of one command per pull request. At most 500 branches.
   */
  @JsonTypeName("organization.refresh-task-summaries-for-branches")
  public record RefreshTaskSummariesForBranches(List<RefreshTaskSummaryForBranch> branches)
      implements OrganizationCommand<Boolean> {}

  // 2a. Commands: billing (spec §11.5) --------------------------------------------------------

  /** A URL the browser is sent to (a Stripe Checkout or billing portal session). */
  public record BillingUrl(String url) {}

  /**
   * Starts a Team plan checkout: the organization's Stripe customer (created once, then reused) and
   * a Checkout Session for it. {@code email} is the billing contact for a new customer.
   */
  @JsonTypeName("organization.billing.start-checkout")
  public record StartCheckout(String email) implements OrganizationCommand<BillingUrl> {}

  /** The browser came back from Checkout: applies that session's subscription. */
  @JsonTypeName("organization.billing.finalize-checkout")
  public record FinalizeCheckout(String checkoutSessionId)
      implements OrganizationCommand<FoundryOrganization> {}

  /** A Stripe billing portal session for the organization's customer. */
  @JsonTypeName("organization.billing.open-portal")
  public record OpenBillingPortal() implements OrganizationCommand<BillingUrl> {}

  /** {@code cancel}: the subscription ends at the period's end; otherwise that is undone. */
  @JsonTypeName("organization.billing.set-cancel-at-period-end")
  public record SetCancelAtPeriodEnd(boolean cancel)
      implements OrganizationCommand<FoundryOrganization> {}

  /** A webhook named the subscription: read its current state from Stripe and apply it. */
  @JsonTypeName("organization.billing.sync-subscription")
  public record SyncStripeSubscription(String subscriptionId)
      implements OrganizationCommand<Boolean> {}

  /** A webhook named the invoice: read it from Stripe and keep it. */
  @JsonTypeName("organization.billing.sync-invoice")
  public record SyncStripeInvoice(String invoiceId) implements OrganizationCommand<Boolean> {}

  // 2b. Commands: app instance ----------------------------------------------------------------

  @JsonTypeName("organization.app.index-session")
  public record IndexSession(String sessionId, String userId) implements AppCommand<Boolean> {}

  @JsonTypeName("organization.app.remove-session")
  public record RemoveSession(String sessionId) implements AppCommand<Boolean> {}

  /**
   * Removes the sessions first indexed before {@code createdBefore} (epoch ms): expired ones, so
   * that they do not pile up. At most {@link #PURGE_BATCH} a time; answers how many went.
   */
  @JsonTypeName("organization.app.purge-expired-sessions")
  public record PurgeExpiredSessions(long createdBefore) implements AppCommand<Integer> {}

  /** The most sessions one {@link PurgeExpiredSessions} removes (one journal write). */
  public static final int PURGE_BATCH = 500;

  @JsonTypeName("organization.app.index-email")
  public record IndexEmail(String email, String userId) implements AppCommand<Boolean> {}

  @JsonTypeName("organization.app.index-account")
  public record IndexAccount(String providerId, String accountId, String userId)
      implements AppCommand<Boolean> {}

  /** Makes {@code organizationId} the session's active one; it must be eligible for its user. */
  @JsonTypeName("organization.app.select-organization")
  public record SelectOrganization(String sessionId, String organizationId)
      implements AppCommand<String> {}

  /**
   * Signs in a local user without GitHub: their user record, their personal organization {@code
   * personal-<slug(login)>} (created and owned by them), and the session, active on it.
   */
  @JsonTypeName("organization.app.sign-in-local-user")
  public record SignInLocalUser(String sessionId, String login, String name, String email)
      implements AppCommand<LocalSignIn> {}

  /**
   * Starts the session of a user who signed in with GitHub, in one write: the session, e-mail and
   * account indexes, and the session's active organization (null for none). The user, their account
   * and their organizations exist already (the sign-in made them first).
   */
  @JsonTypeName("organization.app.start-github-session")
  public record StartGithubSession(
      String sessionId,
      String userId,
      String email,
      String githubAccountId,
      String activeOrganizationId)
      implements AppCommand<Boolean> {}

  /** Who a local sign-in made: the user id and their personal organization. */
  public record LocalSignIn(String userId, String organizationId) {}

  /**
   * A verified Stripe webhook event, recorded by its id: answers false for an id already taken
   * (nothing happens again). A new one is routed to its organization ({@code metadata}, else the
   * Stripe lookup of its customer or subscription) as a sync command; one of no organization is
   * only recorded.
   */
  @JsonTypeName("organization.app.record-stripe-event")
  public record RecordStripeEvent(
      String eventId,
      String type,
      String organizationId,
      String customerId,
      String subscriptionId,
      String invoiceId)
      implements AppCommand<Boolean> {}

  /**
   * A verified GitHub webhook delivery, taken by its {@code X-GitHub-Delivery} id: answers false
   * for an id already taken (nothing happens again). A new one is passed on durably to its
   * organization ({@link RecordGithubWebhook}); the webhook answers once this is written.
   */
  @JsonTypeName("organization.app.record-github-delivery")
  public record RecordGithubDelivery(
      String deliveryId,
      String event,
      String action,
      String organizationId,
      GithubDataProtocol.Command<?> work)
      implements AppCommand<Boolean> {}

  /**
   * The github-data actor's sync state, as the organization shows it ({@code github.*} of its
   * snapshot). {@code seq} counts up with every change; an older one than applied is ignored.
   */
  @JsonTypeName("organization.apply-github-sync-progress")
  public record ApplyGithubSyncProgress(
      long seq,
      String connectedAccount,
      String installationStatus,
      String syncStatus,
      String label,
      Long lastSyncAt,
      long generation,
      String phase,
      int processed,
      int total)
      implements OrganizationCommand<Boolean> {}

  /**
   * A pull request on {@code branchName} was closed or merged: the live tasks on that branch show
   * it and are archived with {@code reason} ({@code "PR closed"}, {@code "PR merged"}). Creates no
   * task: a branch without a task changes nothing.
   */
  @JsonTypeName("organization.archive-tasks-for-pull-request")
  public record ArchiveTasksForPullRequest(
      String repoId, String branchName, WorkspacePullRequestSummary pullRequest, String reason)
      implements OrganizationCommand<Boolean> {}

  /**
   * A GitHub delivery for this organization: sets its {@code lastWebhookAt} and {@code
   * lastWebhookEvent} ({@code event.action}) and leaves a {@code github.webhook.*} audit entry.
   * Answers false when the organization does not exist (nothing to record).
   */
  @JsonTypeName("organization.record-github-webhook")
  public record RecordGithubWebhook(String deliveryId, String event, String action, long receivedAt)
      implements OrganizationCommand<Boolean> {}

  /** {@code lookupKey} ({@code customer:<id>}, {@code subscription:<id>}) belongs to the org. */
  @JsonTypeName("organization.app.link-stripe-object")
  public record LinkStripeObject(String lookupKey, String organizationId)
      implements AppCommand<Boolean> {}

  // 4. Queries --------------------------------------------------------------------------------

  /** The organization as the app snapshot shows it; null until initialized. */
  public record GetOrganization() implements ActorQuery<FoundryOrganization> {}

  /** The full summary the organization page shows (and {@code organizationUpdated} carries). */
  public record GetOrganizationSummary() implements ActorQuery<OrganizationSummarySnapshot> {}

  public record ListRepos() implements ActorQuery<List<RepoRecord>> {}

  public record GetRepository(String repoId) implements ActorQuery<RepoRecord> {}

  /** Task summaries newest first, archived included; {@code repoId} null for all. */
  public record ListTasks(String repoId) implements ActorQuery<List<WorkspaceTaskSummary>> {}

  /** Where a task lives, without ever creating its actor; null when unknown. */
  public record GetTaskIndexEntry(String taskId) implements ActorQuery<TaskIndexEntry> {}

  public record FindTaskForBranch(String repoId, String branchName) implements ActorQuery<String> {}

  public record TaskIndexEntry(
      String taskId, String repoId, String branchName, String title, boolean actorCreated) {}

  /** App: the session's user and active organization; null when unknown. */
  public record FindSession(String sessionId) implements ActorQuery<SessionEntry> {}

  /** {@code createdAt} (epoch ms) is when the session was first indexed: its age decides expiry. */
  public record SessionEntry(
      String sessionId, String userId, String activeOrganizationId, long createdAt) {}

  public record FindUserByEmail(String email) implements ActorQuery<String> {}

  /** App: the active organization of the user's most recently used session; null without one. */
  public record FindActiveOrganization(String userId) implements ActorQuery<String> {}

  public record FindUserByAccount(String providerId, String accountId)
      implements ActorQuery<String> {}

  /** The GitHub App installation id recorded for this organization; null when none. */
  public record GetGithubInstallation() implements ActorQuery<Long> {}
}
