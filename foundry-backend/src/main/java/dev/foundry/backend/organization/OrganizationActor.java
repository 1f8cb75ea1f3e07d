package dev.foundry.backend.organization;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.auditlog.AuditLog;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.task.TaskActor;
import dev.foundry.backend.task.TaskOwner;
import dev.foundry.backend.user.UserActor;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.realtime.AppUpdated;
import dev.foundry.shared.realtime.OrganizationUpdated;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * An organization, key {@code ["org", organizationId]}, in one of two roles (spec §4.1):
 *
 * <ul>
 *   <li>the {@code app} instance: routing indexes from sessions, e-mails and OAuth accounts to user
 *       actors, the active organization of each session, and the dev sign-in. Its commands never
 *       wait on slow work (auth must not queue behind it);
 *   <li>a real organization: profile, members, repository catalog, the task index and the task
 *       summary projection its tasks push up, and virtual tasks (summaries without an actor).
 * </ul>
 *
 * A command of one role sent to the other is rejected ({@code app_only}, {@code
 * organization_only}).
 */
public final class OrganizationActor
    extends DurableActor<
        OrganizationActor.Command<?>, OrganizationActor.Event, OrganizationTables> {

  private static final SecureRandom RANDOM = new SecureRandom();
  public static final int MAX_BRANCHES_PER_REFRESH = 500;

  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, OrganizationTables> KIND =
      ActorKind.define(
          "organization",
          Command.class,
          Event.class,
          OrganizationTables::new,
          OrganizationActor::new);

  public static ActorKey key(String organizationId) {
    return ActorKey.of("org", organizationId);
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
      implements OrganizationCommand<TaskRecord> {}

  /**
   * A user opens a task: a virtual task gets its actor now (initialized from its summary); a real
   * task answers its record.
   */
  @JsonTypeName("organization.materialize-task")
  public record MaterializeTask(String taskId) implements OrganizationCommand<TaskRecord> {}

  /** A task pushes its summary up (upstream {@code applyTaskSummaryUpdate}). */
  @JsonTypeName("organization.apply-task-summary-update")
  public record ApplyTaskSummaryUpdate(WorkspaceTaskSummary taskSummary)
      implements OrganizationCommand<Boolean> {}

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

  // 2b. Commands: app instance ----------------------------------------------------------------

  @JsonTypeName("organization.app.index-session")
  public record IndexSession(String sessionId, String userId) implements AppCommand<Boolean> {}

  @JsonTypeName("organization.app.remove-session")
  public record RemoveSession(String sessionId) implements AppCommand<Boolean> {}

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

  /** Who a local sign-in made: the user id and their personal organization. */
  public record LocalSignIn(String userId, String organizationId) {}

  // 3. Events ---------------------------------------------------------------------------------

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
  public record TaskIndexed(String taskId, String repoId, String branchName, long at)
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

  public record FindUserByAccount(String providerId, String accountId)
      implements ActorQuery<String> {}

  // 5. Handlers -------------------------------------------------------------------------------

  private OrganizationActor(ActorSetup<OrganizationTables> setup) {
    super(setup);
  }

  private String organizationId() {
    return key().segments().get(1);
  }

  private boolean isApp() {
    return OrganizationIds.APP.equals(organizationId());
  }

  @Override
  protected void handlers(Handlers<Command<?>, OrganizationTables> on) {
    on.command(InitializeOrganization.class, org(this::initialize))
        .command(UpdateProfile.class, org(this::updateProfile))
        .command(UpsertMember.class, org(this::upsertMember))
        .command(RemoveMember.class, org(this::removeMember))
        .command(AddRepository.class, org(this::addRepository))
        .command(CreateTask.class, org(this::createTask))
        .command(MaterializeTask.class, org(this::materializeTask))
        .command(ApplyTaskSummaryUpdate.class, org(this::applyTaskSummaryUpdate))
        .command(RemoveTaskSummary.class, org(this::removeTaskSummary))
        .command(RefreshTaskSummaryForBranch.class, org(this::refreshTaskSummaryForBranch))
        .command(RefreshTaskSummariesForBranches.class, org(this::refreshTaskSummariesForBranches))
        .command(IndexSession.class, app(this::indexSession))
        .command(RemoveSession.class, app(this::removeSession))
        .command(IndexEmail.class, app(this::indexEmail))
        .command(IndexAccount.class, app(this::indexAccount))
        .command(SelectOrganization.class, app(this::selectOrganization))
        .command(SignInLocalUser.class, app(this::signInLocalUser))
        .query(GetOrganization.class, (q, t) -> t.organization(organizationId()))
        .query(GetOrganizationSummary.class, (q, t) -> t.summary(organizationId()))
        .query(ListRepos.class, (q, t) -> t.repositories(organizationId()))
        .query(GetRepository.class, (q, t) -> t.repository(organizationId(), q.repoId()))
        .query(ListTasks.class, (q, t) -> t.taskSummaries(q.repoId()))
        .query(GetTaskIndexEntry.class, (q, t) -> t.indexEntry(q.taskId()))
        .query(FindTaskForBranch.class, (q, t) -> t.liveTaskOnBranch(q.repoId(), q.branchName()))
        .query(FindSession.class, (q, t) -> t.session(q.sessionId()))
        .query(FindUserByEmail.class, (q, t) -> t.userByEmail(q.email()))
        .query(FindUserByAccount.class, (q, t) -> t.userByAccount(q.providerId(), q.accountId()));
  }

  private <X> java.util.function.BiFunction<X, OrganizationTables, Decision> org(
      java.util.function.BiFunction<X, OrganizationTables, Decision> handler) {
    return (cmd, tables) ->
        isApp()
            ? Decision.reject("organization_only", "the app instance is not an organization")
            : handler.apply(cmd, tables);
  }

  private <X> java.util.function.BiFunction<X, OrganizationTables, Decision> app(
      java.util.function.BiFunction<X, OrganizationTables, Decision> handler) {
    return (cmd, tables) ->
        isApp()
            ? handler.apply(cmd, tables)
            : Decision.reject(
                "app_only", "only the app instance handles " + cmd.getClass().getSimpleName());
  }

  // --- real organization ---------------------------------------------------------------------

  private Decision initialize(InitializeOrganization cmd, OrganizationTables tables) {
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
    if (!expected.equals(organizationId())) {
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
      Decision invalid = validateMember(cmd.member());
      if (invalid != null) {
        return invalid;
      }
      String role = "personal".equals(cmd.kind()) ? "owner" : "admin";
      FoundryOrganizationMember m = cmd.member();
      events.add(
          new MemberUpserted(
              new FoundryOrganizationMember(m.id(), m.name(), m.email(), role, "active"), at));
    }
    return Decision.persist(events).thenReply(() -> tables.organization(organizationId()));
  }

  private Decision updateProfile(UpdateProfile cmd, OrganizationTables tables) {
    Decision missing = requireInitialized(tables);
    if (missing != null) {
      return missing;
    }
    if (!blank(cmd.slug()) && !cmd.slug().strip().matches("[a-z0-9][a-z0-9-]{0,62}")) {
      return Decision.reject("invalid_slug", "a slug is lowercase letters, digits and dashes");
    }
    return Decision.persist(
            new ProfileUpdated(
                blank(cmd.displayName()) ? null : cmd.displayName().strip(),
                blank(cmd.slug()) ? null : cmd.slug().strip(),
                blank(cmd.primaryDomain()) ? null : cmd.primaryDomain().strip(),
                now()))
        .thenReply(() -> tables.organization(organizationId()));
  }

  private Decision upsertMember(UpsertMember cmd, OrganizationTables tables) {
    Decision missing = requireInitialized(tables);
    if (missing != null) {
      return missing;
    }
    Decision invalid = validateMember(cmd.member());
    if (invalid != null) {
      return invalid;
    }
    return Decision.persist(new MemberUpserted(cmd.member(), now()))
        .thenReply(() -> tables.organization(organizationId()));
  }

  private Decision removeMember(RemoveMember cmd, OrganizationTables tables) {
    Decision missing = requireInitialized(tables);
    if (missing != null) {
      return missing;
    }
    if (!tables.memberExists(cmd.memberId())) {
      return Decision.reject("member_not_found", "no member " + cmd.memberId());
    }
    return Decision.persist(new MemberRemoved(cmd.memberId()))
        .thenReply(() -> tables.organization(organizationId()));
  }

  private static Decision validateMember(FoundryOrganizationMember m) {
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

  private Decision addRepository(AddRepository cmd, OrganizationTables tables) {
    Decision missing = requireInitialized(tables);
    if (missing != null) {
      return missing;
    }
    RepositoryRemote remote;
    try {
      remote = RepositoryRemote.parse(cmd.remoteUrl());
    } catch (IllegalArgumentException e) {
      return Decision.reject("invalid_remote_url", e.getMessage());
    }
    RepoRecord existing = tables.repository(organizationId(), remote.repoId());
    if (existing != null) {
      return Decision.reply(existing);
    }
    String branch = blank(cmd.defaultBranch()) ? "main" : cmd.defaultBranch().strip();
    try {
      CreateFlow.requireValidBranch(branch);
    } catch (IllegalArgumentException e) {
      return Decision.reject("invalid_branch_name", e.getMessage());
    }
    return Decision.persist(
            new RepositoryAdded(remote.repoId(), remote.remoteUrl(), remote.label(), branch, now()))
        .thenReply(() -> tables.repository(organizationId(), remote.repoId()));
  }

  private Decision createTask(CreateTask cmd, OrganizationTables tables) {
    Decision missing = requireInitialized(tables);
    if (missing != null) {
      return missing;
    }
    RepoRecord repo = tables.repository(organizationId(), cmd.repoId());
    if (repo == null) {
      return Decision.reject("repository_not_found", "no repository " + cmd.repoId());
    }
    if (blank(cmd.task())) {
      return Decision.reject("invalid_task", "a task needs a non-blank prompt");
    }
    String title;
    String branch;
    Set<String> taken = tables.liveBranches(cmd.repoId());
    try {
      if (!blank(cmd.onBranch())) {
        branch = cmd.onBranch().strip();
        CreateFlow.requireValidBranch(branch);
        title = CreateFlow.deriveTitle(cmd.task(), cmd.explicitTitle());
        if (taken.contains(branch)) {
          return Decision.reject("branch_in_use", "branch '" + branch + "' already has a task");
        }
      } else {
        CreateFlow.Decision d =
            CreateFlow.decide(
                cmd.task(), cmd.explicitTitle(), cmd.explicitBranchName(), taken, RANDOM);
        title = d.title();
        branch = d.branchName();
      }
    } catch (IllegalArgumentException e) {
      return Decision.reject("invalid_branch_name", e.getMessage());
    } catch (IllegalStateException e) {
      return Decision.reject("branch_in_use", e.getMessage());
    }
    String taskId = UUID.randomUUID().toString();
    TaskActor.Initialize init =
        new TaskActor.Initialize(
            repo.remoteUrl(),
            repo.label(),
            branch,
            title,
            cmd.task(),
            cmd.sandboxProviderId(),
            cmd.owner(),
            null,
            cmd.model());
    CompletionStage<TaskRecord> created =
        runtime()
            .getOrCreate(TaskActor.KIND, TaskActor.key(organizationId(), repo.repoId(), taskId))
            .ask(init);
    return Decision.after(
        created,
        record ->
            Decision.persist(
                    new TaskIndexed(taskId, repo.repoId(), branch, record.createdAt()),
                    new TaskSummaryApplied(initialSummary(record, repo.label())))
                .thenReply(() -> record));
  }

  private Decision materializeTask(MaterializeTask cmd, OrganizationTables tables) {
    Decision missing = requireInitialized(tables);
    if (missing != null) {
      return missing;
    }
    TaskIndexEntry entry = tables.indexEntry(cmd.taskId());
    if (entry == null) {
      return Decision.reject("task_not_found", "no task " + cmd.taskId());
    }
    ActorKey taskKey = TaskActor.key(organizationId(), entry.repoId(), entry.taskId());
    if (entry.actorCreated()) {
      return Decision.after(
          runtime().get(TaskActor.KIND, taskKey).query(new TaskActor.GetRecord()), Decision::reply);
    }
    RepoRecord repo = tables.repository(organizationId(), entry.repoId());
    WorkspaceTaskSummary summary = tables.taskSummary(entry.taskId());
    String title = entry.title() == null ? "Untitled" : entry.title();
    TaskActor.Initialize init =
        new TaskActor.Initialize(
            repo == null ? summary.repoName() : repo.remoteUrl(),
            summary.repoName(),
            entry.branchName(),
            title,
            title,
            null,
            null,
            summary.pullRequest(),
            null);
    return Decision.after(
        runtime().getOrCreate(TaskActor.KIND, taskKey).ask(init),
        record ->
            Decision.persist(new TaskMaterialized(cmd.taskId(), now())).thenReply(() -> record));
  }

  private Decision applyTaskSummaryUpdate(ApplyTaskSummaryUpdate cmd, OrganizationTables tables) {
    WorkspaceTaskSummary s = cmd.taskSummary();
    if (s == null || blank(s.id()) || tables.indexEntry(s.id()) == null) {
      // Only tasks this organization created push summaries; anything else is a stray.
      return Decision.reject("task_not_found", "no task " + (s == null ? null : s.id()));
    }
    WorkspaceTaskSummary held = tables.taskSummary(s.id());
    if (held != null && s.updatedAtMs() < held.updatedAtMs()) {
      // The outbox delivers at least once and in no order (a retry after "overloaded" can come
      // after a newer summary): an older summary must not replace a newer one.
      return Decision.reply(false);
    }
    return Decision.persist(new TaskSummaryApplied(s)).thenReply(() -> true);
  }

  private Decision removeTaskSummary(RemoveTaskSummary cmd, OrganizationTables tables) {
    if (tables.taskSummary(cmd.taskId()) == null) {
      return Decision.reply(false);
    }
    return Decision.persist(new TaskSummaryRemoved(cmd.taskId())).thenReply(() -> true);
  }

  private Decision refreshTaskSummaryForBranch(
      RefreshTaskSummaryForBranch cmd, OrganizationTables tables) {
    return refreshBranches(List.of(cmd), tables);
  }

  private Decision refreshTaskSummariesForBranches(
      RefreshTaskSummariesForBranches cmd, OrganizationTables tables) {
    if (cmd.branches() == null || cmd.branches().size() > MAX_BRANCHES_PER_REFRESH) {
      return Decision.reject(
          "invalid_branch", "1.." + MAX_BRANCHES_PER_REFRESH + " branches per refresh");
    }
    return refreshBranches(cmd.branches(), tables);
  }

  /** The bulk path: virtual tasks for new branches with a PR, PR updates for known ones. */
  private Decision refreshBranches(
      List<RefreshTaskSummaryForBranch> branches, OrganizationTables tables) {
    Decision missing = requireInitialized(tables);
    if (missing != null) {
      return missing;
    }
    for (RefreshTaskSummaryForBranch b : branches) {
      if (b == null || blank(b.repoId()) || blank(b.branchName())) {
        return Decision.reject("invalid_branch", "repoId and branchName are required");
      }
    }
    List<Event> events = new ArrayList<>();
    // Branches that got a virtual task earlier in this batch, by repo and branch.
    Map<String, String> created = new java.util.HashMap<>();
    for (RefreshTaskSummaryForBranch b : branches) {
      List<String> taskIds = new ArrayList<>(tables.taskIdsOnBranch(b.repoId(), b.branchName()));
      String earlier = created.get(b.repoId() + "\n" + b.branchName());
      if (earlier != null) {
        taskIds.add(earlier);
      }
      long at =
          b.pullRequest() != null && b.pullRequest().updatedAtMs() != null
              ? b.pullRequest().updatedAtMs()
              : now();
      if (taskIds.isEmpty()) {
        if (b.pullRequest() == null) {
          continue;
        }
        RepoRecord repo = tables.repository(organizationId(), b.repoId());
        String repoName =
            !blank(b.repoName())
                ? b.repoName()
                : repo != null ? repo.label() : organizationId() + "/" + b.repoId();
        String title = blank(b.pullRequest().title()) ? b.branchName() : b.pullRequest().title();
        String taskId = UUID.randomUUID().toString();
        created.put(b.repoId() + "\n" + b.branchName(), taskId);
        events.add(
            new VirtualTaskAdded(
                taskId, b.repoId(), b.branchName(), title, repoName, b.pullRequest(), at));
      } else {
        for (String taskId : taskIds) {
          events.add(new TaskPullRequestRefreshed(taskId, b.pullRequest(), at));
        }
      }
    }
    if (events.isEmpty()) {
      return Decision.reply(false);
    }
    return Decision.persist(events).thenReply(() -> true);
  }

  private Decision requireInitialized(OrganizationTables tables) {
    return tables.initialized()
        ? null
        : Decision.reject(
            "organization_not_found", "organization " + organizationId() + " does not exist");
  }

  private static WorkspaceTaskSummary initialSummary(TaskRecord r, String repoName) {
    return new WorkspaceTaskSummary(
        r.taskId(),
        r.repoId(),
        r.title() == null ? "New Task" : r.title(),
        r.status(),
        repoName,
        r.updatedAt(),
        r.branchName(),
        r.pullRequest(),
        null,
        List.of(),
        null,
        null);
  }

  // --- app instance --------------------------------------------------------------------------

  private Decision indexSession(IndexSession cmd, OrganizationTables tables) {
    if (blank(cmd.sessionId()) || blank(cmd.userId())) {
      return Decision.reject("invalid_session", "sessionId and userId are required");
    }
    return Decision.persist(new SessionIndexed(cmd.sessionId(), cmd.userId(), now()))
        .thenReply(() -> true);
  }

  private Decision removeSession(RemoveSession cmd, OrganizationTables tables) {
    SessionEntry entry = tables.session(cmd.sessionId());
    if (entry == null) {
      return Decision.reply(false);
    }
    return Decision.persist(new SessionRemoved(cmd.sessionId(), entry.userId()))
        .thenReply(() -> true);
  }

  private Decision indexEmail(IndexEmail cmd, OrganizationTables tables) {
    if (blank(cmd.email()) || !cmd.email().contains("@") || blank(cmd.userId())) {
      return Decision.reject("invalid_email", "a valid e-mail and a userId are required");
    }
    return Decision.persist(
            new EmailIndexed(
                cmd.email().strip().toLowerCase(java.util.Locale.ROOT), cmd.userId(), now()))
        .thenReply(() -> true);
  }

  private Decision indexAccount(IndexAccount cmd, OrganizationTables tables) {
    if (blank(cmd.providerId()) || blank(cmd.accountId()) || blank(cmd.userId())) {
      return Decision.reject("invalid_account", "providerId, accountId and userId are required");
    }
    return Decision.persist(
            new AccountIndexed(cmd.providerId(), cmd.accountId(), cmd.userId(), now()))
        .thenReply(() -> true);
  }

  private Decision selectOrganization(SelectOrganization cmd, OrganizationTables tables) {
    SessionEntry session = tables.session(cmd.sessionId());
    if (session == null) {
      return Decision.reject("not_signed_in", "session " + cmd.sessionId() + " is not signed in");
    }
    CompletionStage<FoundryUser> profile =
        runtime()
            .get(UserActor.KIND, UserActor.key(session.userId()))
            .queryIfExists(new UserActor.GetProfile());
    return Decision.after(
        profile,
        user -> {
          if (user == null || !user.eligibleOrganizationIds().contains(cmd.organizationId())) {
            return Decision.reject(
                "organization_not_eligible",
                "organization "
                    + cmd.organizationId()
                    + " is not one of this user's organizations");
          }
          return Decision.persist(
                  new ActiveOrganizationSelected(
                      cmd.sessionId(), session.userId(), cmd.organizationId(), now()))
              .thenReply(cmd::organizationId);
        });
  }

  private Decision signInLocalUser(SignInLocalUser cmd, OrganizationTables tables) {
    String slug = OrganizationIds.slug(cmd.login());
    if (slug.isEmpty()) {
      return Decision.reject("invalid_login", "a login needs at least one letter or digit");
    }
    if (blank(cmd.sessionId())) {
      return Decision.reject("invalid_session", "a session id is required");
    }
    String userId = "local-" + slug;
    String organizationId = OrganizationIds.personal(cmd.login());
    String name = blank(cmd.name()) ? cmd.login() : cmd.name();
    String email = blank(cmd.email()) ? slug + "@localhost" : cmd.email();
    CompletionStage<FoundryOrganization> ready =
        runtime()
            .getOrCreate(UserActor.KIND, UserActor.key(userId))
            .ask(
                new UserActor.UpsertProfile(
                    name, email, null, null, cmd.login(), "Local user", List.of(organizationId)))
            .thenCompose(
                user ->
                    runtime()
                        .getOrCreate(KIND, key(organizationId))
                        .ask(
                            new InitializeOrganization(
                                "personal",
                                cmd.login(),
                                name,
                                new FoundryOrganizationMember(
                                    userId, name, email, "owner", "active"))));
    return Decision.after(
        ready,
        org -> {
          long at = now();
          return Decision.persist(
                  new SessionIndexed(cmd.sessionId(), userId, at),
                  new EmailIndexed(email.toLowerCase(java.util.Locale.ROOT), userId, at),
                  new ActiveOrganizationSelected(cmd.sessionId(), userId, organizationId, at))
              .thenReply(() -> new LocalSignIn(userId, organizationId));
        });
  }

  // 6. After apply: audit and fan-out to existing tasks (durable), broadcasts ----------------

  /**
   * Audit entries for created tasks and pull-request updates for tasks that have an actor,
   * persisted with the events (the runtime's outbox) so none is lost across a crash.
   */
  @Override
  protected List<Outbound.Tell> durableTells(List<Event> events, OrganizationTables tables) {
    if (isApp()) {
      return List.of();
    }
    List<Outbound.Tell> tells = new java.util.ArrayList<>();
    for (Event event : events) {
      if (event instanceof TaskIndexed e) {
        tells.add(
            new Outbound.Tell(
                runtime().getOrCreate(AuditLog.KIND, AuditLog.key(organizationId())),
                new AuditLog.Append(
                    "task.created",
                    e.repoId(),
                    e.taskId(),
                    e.branchName(),
                    Map.of("repoId", e.repoId()),
                    e.taskId() + "/task.created")));
      } else if (event instanceof TaskPullRequestRefreshed e) {
        TaskIndexEntry entry = tables.indexEntry(e.taskId());
        if (entry != null && entry.actorCreated()) {
          // get, never getOrCreate: the bulk path must not create task actors.
          tells.add(
              new Outbound.Tell(
                  runtime()
                      .get(
                          TaskActor.KIND,
                          TaskActor.key(organizationId(), entry.repoId(), entry.taskId())),
                  new TaskActor.SyncPullRequest(e.pullRequest())));
        }
      }
    }
    return tells;
  }

  @Override
  protected void afterApply(List<Event> events, OrganizationTables tables) {
    if (isApp()) {
      publishAppSnapshots(events);
      return;
    }
    // The full summary is built only when someone subscribes (it grows with the task count).
    publish(
        "organization",
        organizationId(),
        OrganizationUpdated.TYPE,
        () -> new OrganizationUpdated(tables.summary(organizationId())));
  }

  private void publishAppSnapshots(List<Event> events) {
    for (Event event : events) {
      String userId = null;
      if (event instanceof ActiveOrganizationSelected e) {
        userId = e.userId();
      } else if (event instanceof SessionRemoved e) {
        userId = e.userId();
      }
      if (userId != null && runtime().hub().hasSubscribers("app", OrganizationIds.APP)) {
        String audience = userId;
        AppShell.snapshotForUser(
                runtime(),
                userId,
                event instanceof ActiveOrganizationSelected a ? a.organizationId() : null)
            .thenAccept(
                snapshot ->
                    publish(
                        new Publication(
                            "app",
                            OrganizationIds.APP,
                            AppUpdated.TYPE,
                            new AppUpdated(snapshot),
                            audience)))
            .exceptionally(
                failure -> {
                  log().warn("app snapshot for {} not published: {}", audience, failure.toString());
                  return null;
                });
      }
    }
  }

  // helpers -----------------------------------------------------------------------------------

  static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  static TaskStatus virtualStatus() {
    return TaskStatus.INIT_COMPLETE;
  }
}
