package dev.foundry.backend.organization;

import dev.foundry.backend.billing.StripeGateway;
import dev.foundry.backend.organization.OrganizationEvents.BillingCustomerLinked;
import dev.foundry.backend.organization.OrganizationEvents.BillingFreePlanApplied;
import dev.foundry.backend.organization.OrganizationEvents.BillingSubscriptionApplied;
import dev.foundry.backend.organization.OrganizationEvents.Event;
import dev.foundry.backend.organization.OrganizationEvents.InvoiceUpserted;
import dev.foundry.backend.organization.OrganizationEvents.MemberRemoved;
import dev.foundry.backend.organization.OrganizationEvents.MemberUpserted;
import dev.foundry.backend.organization.OrganizationEvents.ProfileCreated;
import dev.foundry.backend.organization.OrganizationEvents.ProfileUpdated;
import dev.foundry.backend.organization.OrganizationEvents.RepositoryAdded;
import dev.foundry.backend.organization.OrganizationEvents.TaskIndexed;
import dev.foundry.backend.organization.OrganizationEvents.TaskPullRequestRefreshed;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.AddRepository;
import dev.foundry.backend.protocol.OrganizationProtocol.ApplyTaskSummaryUpdate;
import dev.foundry.backend.protocol.OrganizationProtocol.Command;
import dev.foundry.backend.protocol.OrganizationProtocol.CreateTask;
import dev.foundry.backend.protocol.OrganizationProtocol.CreateTaskForRequest;
import dev.foundry.backend.protocol.OrganizationProtocol.FinalizeCheckout;
import dev.foundry.backend.protocol.OrganizationProtocol.FindActiveOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.FindSession;
import dev.foundry.backend.protocol.OrganizationProtocol.FindTaskForBranch;
import dev.foundry.backend.protocol.OrganizationProtocol.FindUserByAccount;
import dev.foundry.backend.protocol.OrganizationProtocol.FindUserByEmail;
import dev.foundry.backend.protocol.OrganizationProtocol.GetOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.GetOrganizationSummary;
import dev.foundry.backend.protocol.OrganizationProtocol.GetRepository;
import dev.foundry.backend.protocol.OrganizationProtocol.GetTaskIndexEntry;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexAccount;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexEmail;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexSession;
import dev.foundry.backend.protocol.OrganizationProtocol.InitializeOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.LinkStripeObject;
import dev.foundry.backend.protocol.OrganizationProtocol.ListRepos;
import dev.foundry.backend.protocol.OrganizationProtocol.ListTasks;
import dev.foundry.backend.protocol.OrganizationProtocol.MaterializeTask;
import dev.foundry.backend.protocol.OrganizationProtocol.OpenBillingPortal;
import dev.foundry.backend.protocol.OrganizationProtocol.OrganizationAddress;
import dev.foundry.backend.protocol.OrganizationProtocol.PurgeExpiredSessions;
import dev.foundry.backend.protocol.OrganizationProtocol.RecordStripeEvent;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummariesForBranches;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummaryForBranch;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveMember;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveSession;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveTaskSummary;
import dev.foundry.backend.protocol.OrganizationProtocol.SelectOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.SetCancelAtPeriodEnd;
import dev.foundry.backend.protocol.OrganizationProtocol.SignInLocalUser;
import dev.foundry.backend.protocol.OrganizationProtocol.StartCheckout;
import dev.foundry.backend.protocol.OrganizationProtocol.SyncStripeInvoice;
import dev.foundry.backend.protocol.OrganizationProtocol.SyncStripeSubscription;
import dev.foundry.backend.protocol.OrganizationProtocol.TaskIndexEntry;
import dev.foundry.backend.protocol.OrganizationProtocol.UpdateProfile;
import dev.foundry.backend.protocol.OrganizationProtocol.UpsertMember;
import dev.foundry.backend.protocol.RepositoryRemote;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.contracts.RepoRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An organization, key {@code ["org", organizationId]}, in one of two roles (spec §4.1):
 *
 * <ul>
 *   <li>the {@code app} instance ({@link AppIndex}): routing indexes from sessions, e-mails and
 *       OAuth accounts to user actors, the active organization of each session, and the dev
 *       sign-in;
 *   <li>a real organization: profile, members and repository catalog (here), the task index, the
 *       task summary projection its tasks push up, and virtual tasks ({@link OrganizationTasks}).
 * </ul>
 *
 * This class is the handler table: a command of one role sent to the other is rejected by the
 * role's guard ({@code app_only}, {@code organization_only}), and the commands that need the
 * organization to exist are refused together ({@code organization_not_found}).
 */
public final class OrganizationActor
    extends DurableActor<OrganizationProtocol.Command<?>, Event, OrganizationTables> {

  public static final ActorKind<Command<?>, Event, OrganizationTables> KIND =
      ActorKind.bind(
          OrganizationProtocol.TYPE, Event.class, OrganizationTables::new, OrganizationActor::new);

  /**
   * How long a batch of task summaries waits for more after its first. Each batch is one journal
   * write (an fsync) and one realtime frame per subscriber; summaries trickle in one per task
   * change, and a burst of changes spreads over a few milliseconds as the tasks' own writes land.
   * Measured in docs/performance.md ("Gathering task summaries").
   */
  static final Duration SUMMARY_GATHER = Duration.ofMillis(5);

  private final String organizationId;
  private final OrganizationTasks tasks;
  private final AppIndex app;
  private final OrganizationBilling billing;
  private final AppStripeEvents stripeEvents;
  private final GithubWebhooks githubWebhooks;

  private OrganizationActor(ActorSetup<OrganizationTables> setup) {
    super(setup);
    this.organizationId = OrganizationAddress.of(key()).organizationId();
    this.tasks = new OrganizationTasks(runtime(), organizationId, this::commandId);
    this.app = new AppIndex(runtime());
    this.billing =
        new OrganizationBilling(
            organizationId, StripeGateway.get(runtime().system()), this::commandId);
    this.stripeEvents = new AppStripeEvents(runtime());
    this.githubWebhooks = new GithubWebhooks(runtime());
  }

  private boolean isApp() {
    return OrganizationIds.APP.equals(organizationId);
  }

  @Override
  protected void handlers(Handlers<Command<?>, OrganizationTables> on) {
    on.inState(this::organizationOnly)
        .command(InitializeOrganization.class, this::initialize)
        // Tasks push a summary per change: those that arrive within SUMMARY_GATHER of the first
        // are applied in one write.
        .batch(ApplyTaskSummaryUpdate.class, SUMMARY_GATHER, tasks::applyTaskSummaryUpdates)
        .command(RemoveTaskSummary.class, tasks::removeTaskSummary)
        .command(OrganizationProtocol.RecordGithubWebhook.class, githubWebhooks::recordWebhook);
    on.inState(this::existingOrganization)
        .command(UpdateProfile.class, this::updateProfile)
        .command(UpsertMember.class, this::upsertMember)
        .command(RemoveMember.class, this::removeMember)
        .command(
            OrganizationProtocol.RecordGithubInstallation.class, this::recordGithubInstallation)
        .command(AddRepository.class, this::addRepository)
        .command(CreateTask.class, tasks::createTask)
        .command(CreateTaskForRequest.class, tasks::createTaskForRequest)
        .batchedCommand(OrganizationProtocol.PlaceTask.class, tasks::placeTask)
        .command(MaterializeTask.class, tasks::materializeTask)
        .command(RefreshTaskSummaryForBranch.class, tasks::refreshTaskSummaryForBranch)
        .command(RefreshTaskSummariesForBranches.class, tasks::refreshTaskSummariesForBranches)
        .command(StartCheckout.class, billing::startCheckout)
        .command(FinalizeCheckout.class, billing::finalizeCheckout)
        .command(OpenBillingPortal.class, billing::openPortal)
        .command(SetCancelAtPeriodEnd.class, billing::setCancelAtPeriodEnd)
        .command(SyncStripeSubscription.class, billing::syncSubscription)
        .command(SyncStripeInvoice.class, billing::syncInvoice)
        .command(
            OrganizationProtocol.ApplyGithubSyncProgress.class, githubWebhooks::applySyncProgress)
        .command(
            OrganizationProtocol.ArchiveTasksForPullRequest.class,
            tasks::archiveTasksForPullRequest);
    on.inState(this::appOnly)
        .command(IndexSession.class, app::indexSession)
        .command(RemoveSession.class, app::removeSession)
        .command(PurgeExpiredSessions.class, app::purgeExpiredSessions)
        .command(IndexEmail.class, app::indexEmail)
        .command(IndexAccount.class, app::indexAccount)
        .command(SelectOrganization.class, app::selectOrganization)
        .command(SignInLocalUser.class, app::signInLocalUser)
        .command(RecordStripeEvent.class, stripeEvents::recordStripeEvent)
        .command(LinkStripeObject.class, stripeEvents::linkStripeObject)
        .command(OrganizationProtocol.RecordGithubDelivery.class, githubWebhooks::recordDelivery)
        .command(OrganizationProtocol.StartGithubSession.class, app::startGithubSession);
    on.query(GetOrganization.class, (q, t) -> t.organization(organizationId))
        .query(GetOrganizationSummary.class, (q, t) -> t.summary(organizationId))
        .query(ListRepos.class, (q, t) -> t.repositories(organizationId))
        .query(GetRepository.class, (q, t) -> t.repository(organizationId, q.repoId()))
        .query(ListTasks.class, (q, t) -> t.taskSummaries(q.repoId()))
        .query(GetTaskIndexEntry.class, (q, t) -> t.indexEntry(q.taskId()))
        .query(FindTaskForBranch.class, (q, t) -> t.liveTaskOnBranch(q.repoId(), q.branchName()))
        .query(FindSession.class, (q, t) -> t.session(q.sessionId()))
        .query(FindUserByEmail.class, (q, t) -> t.userByEmail(q.email()))
        .query(FindActiveOrganization.class, (q, t) -> t.activeOrganizationOf(q.userId()))
        .query(FindUserByAccount.class, (q, t) -> t.userByAccount(q.providerId(), q.accountId()))
        .query(OrganizationProtocol.GetGithubInstallation.class, (q, t) -> t.githubInstallation());
  }

  // Guards ------------------------------------------------------------------------------------

  /** Refuses the commands of a real organization on the {@code app} instance. */
  private Decision<?> organizationOnly(DurableCommand<?> cmd, OrganizationTables tables) {
    return isApp()
        ? Decision.reject("organization_only", "the app instance is not an organization")
        : null;
  }

  /** A real organization that was initialized: what every command but the first needs. */
  private Decision<?> existingOrganization(DurableCommand<?> cmd, OrganizationTables tables) {
    Decision<?> notOrganization = organizationOnly(cmd, tables);
    if (notOrganization != null) {
      return notOrganization;
    }
    return tables.initialized()
        ? null
        : Decision.reject(
            "organization_not_found", "organization " + organizationId + " does not exist");
  }

  /** Refuses the sign-in index commands on a real organization. */
  private Decision<?> appOnly(DurableCommand<?> cmd, OrganizationTables tables) {
    return isApp()
        ? null
        : Decision.reject(
            "app_only", "only the app instance handles " + cmd.getClass().getSimpleName());
  }

  // Profile, members, repositories ------------------------------------------------------------

  private Decision<FoundryOrganization> initialize(
      InitializeOrganization cmd, OrganizationTables tables) {
    if (!"personal".equals(cmd.kind()) && !"organization".equals(cmd.kind())) {
      return Decision.reject("invalid_kind", "kind must be personal or organization");
    }
    if (blank(cmd.githubLogin()) || OrganizationIds.slug(cmd.githubLogin()).isEmpty()) {
      return Decision.reject("invalid_login", "an organization needs a login");
    }
    String expected =
        "personal".equals(cmd.kind())
            ? OrganizationIds.personal(cmd.githubLogin())
            : OrganizationIds.forGithubOrganization(cmd.githubLogin());
    if (!expected.equals(organizationId)) {
      return Decision.reject(
          "organization_id_mismatch",
          "login " + cmd.githubLogin() + " belongs to organization " + expected);
    }
    long at = now();
    List<Event> events = new ArrayList<>();
    if (!tables.initialized()) {
      String slug = OrganizationIds.slug(cmd.githubLogin());
      events.add(
          new ProfileCreated(
              cmd.kind(),
              cmd.githubLogin(),
              blank(cmd.displayName()) ? cmd.githubLogin() : cmd.displayName(),
              slug,
              "personal".equals(cmd.kind()) ? "personal" : slug + ".github",
              at));
    }
    if (cmd.member() != null) {
      Decision<FoundryOrganization> invalid = validateMember(cmd.member());
      if (invalid != null) {
        return invalid;
      }
      String role = "personal".equals(cmd.kind()) ? "owner" : "admin";
      FoundryOrganizationMember m = cmd.member();
      events.add(
          new MemberUpserted(
              new FoundryOrganizationMember(m.id(), m.name(), m.email(), role, "active"), at));
    }
    return Decision.<FoundryOrganization>persist(events)
        .thenReply(() -> tables.organization(organizationId));
  }

  private Decision<FoundryOrganization> updateProfile(
      UpdateProfile cmd, OrganizationTables tables) {
    if (!blank(cmd.slug()) && !cmd.slug().strip().matches("[a-z0-9][a-z0-9-]{0,62}")) {
      return Decision.reject("invalid_slug", "a slug is lowercase letters, digits and dashes");
    }
    return Decision.<FoundryOrganization>persist(
            new ProfileUpdated(
                blank(cmd.displayName()) ? null : cmd.displayName().strip(),
                blank(cmd.slug()) ? null : cmd.slug().strip(),
                blank(cmd.primaryDomain()) ? null : cmd.primaryDomain().strip(),
                now()))
        .thenReply(() -> tables.organization(organizationId));
  }

  private Decision<FoundryOrganization> upsertMember(UpsertMember cmd, OrganizationTables tables) {
    Decision<FoundryOrganization> invalid = validateMember(cmd.member());
    if (invalid != null) {
      return invalid;
    }
    return Decision.<FoundryOrganization>persist(new MemberUpserted(cmd.member(), now()))
        .thenReply(() -> tables.organization(organizationId));
  }

  private Decision<FoundryOrganization> removeMember(RemoveMember cmd, OrganizationTables tables) {
    if (!tables.memberExists(cmd.memberId())) {
      return Decision.reject("member_not_found", "no member " + cmd.memberId());
    }
    return Decision.<FoundryOrganization>persist(new MemberRemoved(cmd.memberId()))
        .thenReply(() -> tables.organization(organizationId));
  }

  private Decision<FoundryOrganization> recordGithubInstallation(
      OrganizationProtocol.RecordGithubInstallation cmd, OrganizationTables tables) {
    if (!Set.of("connected", "install_required", "reconnect_required")
        .contains(cmd.installationStatus())) {
      return Decision.reject(
          "invalid_installation_status",
          "installationStatus must be connected, install_required or reconnect_required");
    }
    if (blank(cmd.accountType())) {
      return Decision.reject("invalid_installation", "accountType is required");
    }
    return Decision.<FoundryOrganization>persist(
            new OrganizationEvents.GithubInstallationRecorded(
                cmd.installationId(), cmd.accountType(), cmd.installationStatus(), now()))
        .thenReply(() -> tables.organization(organizationId));
  }

  private static <R> Decision<R> validateMember(FoundryOrganizationMember m) {
    if (m == null || blank(m.id())) {
      return Decision.reject("invalid_member", "a member needs an id");
    }
    if (m.role() == null || !Set.of("owner", "admin", "member").contains(m.role())) {
      return Decision.reject("invalid_member", "role must be owner, admin or member");
    }
    if (m.state() == null || !Set.of("active", "invited").contains(m.state())) {
      return Decision.reject("invalid_member", "state must be active or invited");
    }
    return null;
  }

  private Decision<RepoRecord> addRepository(AddRepository cmd, OrganizationTables tables) {
    RepositoryRemote remote;
    try {
      remote = RepositoryRemote.parse(cmd.remoteUrl());
    } catch (IllegalArgumentException e) {
      return Decision.reject("invalid_remote_url", e.getMessage());
    }
    RepoRecord existing = tables.repository(organizationId, remote.repoId());
    if (existing != null) {
      return Decision.reply(existing);
    }
    String branch = blank(cmd.defaultBranch()) ? "main" : cmd.defaultBranch().strip();
    try {
      CreateFlow.requireValidBranch(branch);
    } catch (IllegalArgumentException e) {
      return Decision.reject("invalid_branch_name", e.getMessage());
    }
    return Decision.<RepoRecord>persist(
            new RepositoryAdded(remote.repoId(), remote.remoteUrl(), remote.label(), branch, now()))
        .thenReply(() -> tables.repository(organizationId, remote.repoId()));
  }

  // After apply: audit and fan-out to existing tasks (durable), broadcasts -------------------

  /**
   * Audit entries for created tasks and pull-request updates for tasks that have an actor,
   * persisted with the events (the runtime's outbox) so none is lost across a crash.
   */
  @Override
  protected List<Outbound.Tell> durableTells(List<Event> events, OrganizationTables tables) {
    if (isApp()) {
      List<Outbound.Tell> tells = new ArrayList<>(stripeEvents.durableTells(events));
      tells.addAll(githubWebhooks.appTells(events));
      return tells;
    }
    List<Outbound.Tell> tells =
        new ArrayList<>(AppStripeEvents.links(runtime(), organizationId, events));
    tells.addAll(githubWebhooks.organizationTells(organizationId, events));
    for (Event event : events) {
      if (event instanceof TaskIndexed e) {
        tells.add(
            new Outbound.Tell(
                runtime().getOrCreate(AuditLogProtocol.TYPE, AuditLogProtocol.key(organizationId)),
                new AuditLogProtocol.Append(
                    "task.created",
                    e.repoId(),
                    e.taskId(),
                    e.branchName(),
                    e.userId() == null
                        ? Map.of("repoId", e.repoId())
                        : Map.of("repoId", e.repoId(), "userId", e.userId()),
                    e.taskId() + "/task.created")));
      } else if (event instanceof TaskPullRequestRefreshed e) {
        TaskIndexEntry entry = tables.indexEntry(e.taskId());
        if (entry != null && entry.actorCreated()) {
          // get, never getOrCreate: the bulk path must not create task actors.
          tells.add(
              new Outbound.Tell(
                  runtime()
                      .get(
                          TaskProtocol.TYPE,
                          TaskProtocol.key(organizationId, entry.repoId(), entry.taskId())),
                  new TaskProtocol.SyncPullRequest(e.pullRequest())));
        }
      }
    }
    return tells;
  }

  @Override
  protected void afterApply(List<Event> events, OrganizationTables tables) {
    // Before the answer leaves: the next request after it must not see what this command changed.
    OrganizationViews.get(runtime().system()).applied(organizationId, events);
    if (isApp()) {
      app.publishAppSnapshots(events);
      return;
    }
    // Per-task changes, or the full summary; built only when someone subscribes.
    OrganizationTopic.publish(runtime().hub(), organizationId, events, tables);
    if (events.stream().anyMatch(OrganizationActor::changesAppSnapshot)) {
      app.publishAppSnapshotsOf(tables.activeMemberIds());
    }
  }

  /** Billing and membership show in every member's app snapshot. */
  private static boolean changesAppSnapshot(Event event) {
    return event instanceof BillingCustomerLinked
        || event instanceof BillingSubscriptionApplied
        || event instanceof BillingFreePlanApplied
        || event instanceof InvoiceUpserted
        || event instanceof MemberUpserted
        || event instanceof MemberRemoved;
  }

  // helpers -----------------------------------------------------------------------------------

  static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  static long now() {
    return System.currentTimeMillis();
  }
}
