package dev.foundry.backend.githubdata;

import dev.foundry.backend.github.GitHubDataSource;
import dev.foundry.backend.githubdata.GithubDataEvents.Event;
import dev.foundry.backend.githubdata.GithubDataEvents.PullRequestRemoved;
import dev.foundry.backend.githubdata.GithubDataEvents.PullRequestUpserted;
import dev.foundry.backend.githubdata.GithubDataEvents.RepositoriesSynced;
import dev.foundry.backend.githubdata.GithubDataEvents.RepositoryRemoved;
import dev.foundry.backend.githubdata.GithubDataEvents.RepositoryUpserted;
import dev.foundry.backend.githubdata.GithubDataEvents.StateCleared;
import dev.foundry.backend.protocol.GithubDataProtocol;
import dev.foundry.backend.protocol.GithubDataProtocol.ClearState;
import dev.foundry.backend.protocol.GithubDataProtocol.Command;
import dev.foundry.backend.protocol.GithubDataProtocol.GetSummary;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubDataAddress;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubPullRequest;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubRepository;
import dev.foundry.backend.protocol.GithubDataProtocol.HandlePullRequestWebhook;
import dev.foundry.backend.protocol.GithubDataProtocol.HandleRepositoryWebhook;
import dev.foundry.backend.protocol.GithubDataProtocol.ListMembers;
import dev.foundry.backend.protocol.GithubDataProtocol.ListOpenPullRequests;
import dev.foundry.backend.protocol.GithubDataProtocol.ListRepositories;
import dev.foundry.backend.protocol.GithubDataProtocol.RunSyncPhase;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncRepos;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummariesForBranches;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummaryForBranch;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Outbound;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An organization's GitHub cache, key {@code ["org", orgId, "github-data"]} (spec §7): a full sync
 * in phases ({@link FullSync}), pull-request and repository webhooks, and clearing on uninstall or
 * suspension. It tells the organization its sync state and the pull-request changes of branches
 * (which become virtual task summaries there); it never creates a task actor.
 */
public final class GithubDataActor extends DurableActor<Command<?>, Event, GithubDataTables> {
  public static final ActorKind<Command<?>, Event, GithubDataTables> KIND =
      ActorKind.bind(
          GithubDataProtocol.TYPE, Event.class, GithubDataTables::new, GithubDataActor::new);

  private final String organizationId;
  private final FullSync sync;

  private GithubDataActor(ActorSetup<GithubDataTables> setup) {
    super(setup);
    this.organizationId = GithubDataAddress.of(key()).organizationId();
    this.sync =
        new FullSync(
            GitHubDataSource.get(runtime().system()),
            runtime().get(GithubDataProtocol.TYPE, key()),
            organization());
  }

  private DurableRef<OrganizationProtocol.Command<?>> organization() {
    return runtime()
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId));
  }

  @Override
  protected void handlers(Handlers<Command<?>, GithubDataTables> on) {
    on.command(SyncRepos.class, sync::start)
        .command(RunSyncPhase.class, sync::run)
        .command(HandlePullRequestWebhook.class, this::pullRequestWebhook)
        .command(HandleRepositoryWebhook.class, this::repositoryWebhook)
        .command(ClearState.class, this::clearState);
    on.query(GetSummary.class, (q, t) -> t.summary())
        .query(ListRepositories.class, (q, t) -> t.repositories())
        .query(ListMembers.class, (q, t) -> t.members())
        .query(ListOpenPullRequests.class, (q, t) -> t.openPullRequests(q.repoId()));
  }

  /**
   * Spec §7.5: an open pull request is kept and its branch's task summaries follow; a closed or
   * merged one is dropped and the live tasks on its branch are archived ({@code "PR closed"},
   * {@code "PR merged"}).
   */
  private Decision<Boolean> pullRequestWebhook(
      HandlePullRequestWebhook cmd, GithubDataTables tables) {
    if (cmd.pullRequest() == null || cmd.pullRequest().repository() == null) {
      return Decision.reject("invalid_pull_request", "a pull request and its repository");
    }
    GithubRepository repo = PullRequests.repository(cmd.pullRequest().repository());
    if (repo == null) {
      return Decision.reject("invalid_remote_url", "the repository's clone URL is not a remote");
    }
    GithubPullRequest pr = PullRequests.of(repo, cmd.pullRequest(), System.currentTimeMillis());
    GithubPullRequest before = tables.pullRequest(pr.prId());
    boolean newRepository = tables.repository(repo.repoId()) == null;
    if (pr.state().equals("CLOSED") || pr.state().equals("MERGED")) {
      Decision<Boolean> d =
          Decision.<Boolean>persist(new PullRequestRemoved(pr.prId(), System.currentTimeMillis()))
              .andTell(
                  organization(),
                  new OrganizationProtocol.ArchiveTasksForPullRequest(
                      repo.repoId(),
                      pr.headRefName(),
                      PullRequests.summary(pr),
                      pr.state().equals("MERGED") ? "PR merged" : "PR closed"));
      return d.thenReply(() -> true);
    }
    if (!PullRequests.changed(before, pr) && !newRepository) {
      return Decision.reply(false);
    }
    Decision<Boolean> d =
        Decision.<Boolean>persist(new PullRequestUpserted(repo, pr))
            .andTell(
                organization(),
                new RefreshTaskSummariesForBranches(List.of(PullRequests.refresh(pr, false))));
    if (newRepository) {
      d = d.andTell(organization(), addRepository(repo));
    }
    return d.thenReply(() -> true);
  }

  /** Spec §2.1 {@code repository}: created/renamed/changed are kept, deleted is dropped. */
  private Decision<Boolean> repositoryWebhook(
      HandleRepositoryWebhook cmd, GithubDataTables tables) {
    if (cmd.repository() == null) {
      return Decision.reject("invalid_repository", "a repository is required");
    }
    GithubRepository repo = PullRequests.repository(cmd.repository());
    if (repo == null) {
      return Decision.reject("invalid_remote_url", "the repository's clone URL is not a remote");
    }
    long at = System.currentTimeMillis();
    if ("deleted".equals(cmd.action())) {
      if (tables.repository(repo.repoId()) == null) {
        return Decision.reply(false);
      }
      return Decision.<Boolean>persist(new RepositoryRemoved(repo.repoId(), at))
          .andTell(organization(), gone(tables.pullRequestsOfRepository(repo.repoId())))
          .thenReply(() -> true);
    }
    if (!Set.of(
            "created",
            "renamed",
            "archived",
            "unarchived",
            "publicized",
            "privatized",
            "edited",
            "transferred")
        .contains(cmd.action())) {
      return Decision.reply(false);
    }
    String previousRepoId = null;
    if (cmd.previousFullName() != null) {
      GithubRepository previous =
          PullRequests.repository(
              new GithubDataProtocol.RepositoryInput(
                  cmd.previousFullName(),
                  cmd.repository()
                      .cloneUrl()
                      .replace(cmd.repository().fullName(), cmd.previousFullName()),
                  repo.isPrivate(),
                  repo.defaultBranch()));
      previousRepoId = previous == null ? null : previous.repoId();
    }
    return Decision.<Boolean>persist(new RepositoryUpserted(repo, previousRepoId, at))
        .andTell(organization(), addRepository(repo))
        .thenReply(() -> true);
  }

  /** Spec §7.2 {@code clearState}: everything cached goes, and every pull request with it. */
  private Decision<Boolean> clearState(ClearState cmd, GithubDataTables tables) {
    if (cmd.input() == null
        || !Set.of("install_required", "reconnect_required", "connected")
            .contains(cmd.input().installationStatus())) {
      return Decision.reject("invalid_state", "installationStatus is required");
    }
    List<GithubPullRequest> all = tables.allPullRequests();
    Decision<Boolean> d =
        Decision.persist(new StateCleared(cmd.input(), System.currentTimeMillis()));
    if (!all.isEmpty()) {
      d = d.andTell(organization(), gone(all));
    }
    return d.thenReply(() -> true);
  }

  /** The refresh that takes {@code prs} off their branches' task summaries. */
  static RefreshTaskSummariesForBranches gone(List<GithubPullRequest> prs) {
    List<RefreshTaskSummaryForBranch> branches = new ArrayList<>();
    for (GithubPullRequest p : prs) {
      branches.add(PullRequests.refresh(p, true));
    }
    return new RefreshTaskSummariesForBranches(branches);
  }

  static OrganizationProtocol.AddRepository addRepository(GithubRepository repo) {
    return new OrganizationProtocol.AddRepository(repo.cloneUrl(), repo.defaultBranch());
  }

  /**
   * Every change of the meta row reaches the organization as its GitHub state; repositories a sync
   * found join the organization's catalog (an existing one answers as it is).
   */
  @Override
  protected List<Outbound.Tell> durableTells(List<Event> events, GithubDataTables tables) {
    List<Outbound.Tell> tells = new ArrayList<>();
    boolean metaChanged = false;
    for (Event e : events) {
      if (e instanceof RepositoriesSynced r) {
        for (GithubRepository repo : r.repositories()) {
          tells.add(new Outbound.Tell(organization(), addRepository(repo)));
        }
      }
      metaChanged |= FullSync.changesMeta(e) || e instanceof StateCleared;
    }
    if (metaChanged) {
      GithubDataTables.Meta m = tables.meta();
      tells.add(
          new Outbound.Tell(
              organization(),
              new OrganizationProtocol.ApplyGithubSyncProgress(
                  m.progressSeq(),
                  m.connectedAccount(),
                  m.installationStatus(),
                  m.syncStatus(),
                  m.label(),
                  m.lastSyncAt(),
                  m.generation(),
                  m.phase(),
                  m.processed(),
                  m.total())));
    }
    return tells;
  }
}
