package dev.foundry.backend.organization;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.AddRepository;
import dev.foundry.backend.protocol.OrganizationProtocol.ApplyTaskSummaryUpdate;
import dev.foundry.backend.protocol.OrganizationProtocol.Command;
import dev.foundry.backend.protocol.OrganizationProtocol.CreateTask;
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
import dev.foundry.backend.protocol.OrganizationProtocol.ListRepos;
import dev.foundry.backend.protocol.OrganizationProtocol.ListTasks;
import dev.foundry.backend.protocol.OrganizationProtocol.LocalSignIn;
import dev.foundry.backend.protocol.OrganizationProtocol.MaterializeTask;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummariesForBranches;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummaryForBranch;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveMember;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveSession;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveTaskSummary;
import dev.foundry.backend.protocol.OrganizationProtocol.SelectOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.SessionEntry;
import dev.foundry.backend.protocol.OrganizationProtocol.SignInLocalUser;
import dev.foundry.backend.protocol.OrganizationProtocol.TaskIndexEntry;
import dev.foundry.backend.protocol.OrganizationProtocol.UpdateProfile;
import dev.foundry.backend.protocol.OrganizationProtocol.UpsertMember;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.realtime.AppUpdated;
import dev.foundry.shared.realtime.OrganizationUpdated;
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
        OrganizationProtocol.Command<?>, OrganizationActor.Event, OrganizationTables> {

  private static final SecureRandom RANDOM = new SecureRandom();
  public static final int MAX_BRANCHES_PER_REFRESH = 500;

  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, OrganizationTables> KIND =
      ActorKind.bind(
          OrganizationProtocol.TYPE, Event.class, OrganizationTables::new, OrganizationActor::new);

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
    on.inState(this::organizationOnly)
        .command(InitializeOrganization.class, this::initialize)
        .command(UpdateProfile.class, this::updateProfile)
        .command(UpsertMember.class, this::upsertMember)
        .command(RemoveMember.class, this::removeMember)
        .command(AddRepository.class, this::addRepository)
        .command(CreateTask.class, this::createTask)
        .command(MaterializeTask.class, this::materializeTask)
        .command(ApplyTaskSummaryUpdate.class, this::applyTaskSummaryUpdate)
        .command(RemoveTaskSummary.class, this::removeTaskSummary)
        .command(RefreshTaskSummaryForBranch.class, this::refreshTaskSummaryForBranch)
        .command(RefreshTaskSummariesForBranches.class, this::refreshTaskSummariesForBranches);
    on.inState(this::appOnly)
        .command(IndexSession.class, this::indexSession)
        .command(RemoveSession.class, this::removeSession)
        .command(IndexEmail.class, this::indexEmail)
        .command(IndexAccount.class, this::indexAccount)
        .command(SelectOrganization.class, this::selectOrganization)
        .command(SignInLocalUser.class, this::signInLocalUser);
    on.query(GetOrganization.class, (q, t) -> t.organization(organizationId()))
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

  /** Refuses the commands of a real organization on the {@code app} instance. */
  private Decision<?> organizationOnly(DurableCommand<?> cmd, OrganizationTables tables) {
    return isApp()
        ? Decision.reject("organization_only", "the app instance is not an organization")
        : null;
  }

  /** Refuses the sign-in index commands on a real organization. */
  private Decision<?> appOnly(DurableCommand<?> cmd, OrganizationTables tables) {
    return isApp()
        ? null
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
    TaskProtocol.Initialize init =
        new TaskProtocol.Initialize(
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
            .getOrCreate(
                TaskProtocol.TYPE, TaskProtocol.key(organizationId(), repo.repoId(), taskId))
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
    ActorKey taskKey = TaskProtocol.key(organizationId(), entry.repoId(), entry.taskId());
    if (entry.actorCreated()) {
      return Decision.after(
          runtime().get(TaskProtocol.TYPE, taskKey).query(new TaskProtocol.GetRecord()),
          Decision::reply);
    }
    RepoRecord repo = tables.repository(organizationId(), entry.repoId());
    WorkspaceTaskSummary summary = tables.taskSummary(entry.taskId());
    String title = entry.title() == null ? "Untitled" : entry.title();
    TaskProtocol.Initialize init =
        new TaskProtocol.Initialize(
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
        runtime().getOrCreate(TaskProtocol.TYPE, taskKey).ask(init),
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
            .get(UserProtocol.TYPE, UserProtocol.key(session.userId()))
            .queryIfExists(new UserProtocol.GetProfile());
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
            .getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId))
            .ask(
                new UserProtocol.UpsertProfile(
                    name, email, null, null, cmd.login(), "Local user", List.of(organizationId)))
            .thenCompose(
                user ->
                    runtime()
                        .getOrCreate(
                            OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId))
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
                runtime()
                    .getOrCreate(AuditLogProtocol.TYPE, AuditLogProtocol.key(organizationId())),
                new AuditLogProtocol.Append(
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
                          TaskProtocol.TYPE,
                          TaskProtocol.key(organizationId(), entry.repoId(), entry.taskId())),
                  new TaskProtocol.SyncPullRequest(e.pullRequest())));
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
