package dev.foundry.backend.githubdata;

import static dev.foundry.backend.protocol.GithubDataProtocol.DISCOVERING;
import static dev.foundry.backend.protocol.GithubDataProtocol.REPOSITORY_BATCH;
import static dev.foundry.backend.protocol.GithubDataProtocol.SYNCING_MEMBERS;
import static dev.foundry.backend.protocol.GithubDataProtocol.SYNCING_PULL_REQUESTS;

import dev.foundry.backend.github.GitHubDataSource;
import dev.foundry.backend.githubdata.GithubDataEvents.Event;
import dev.foundry.backend.githubdata.GithubDataEvents.MembersSynced;
import dev.foundry.backend.githubdata.GithubDataEvents.PullRequestsSynced;
import dev.foundry.backend.githubdata.GithubDataEvents.RepositoriesSynced;
import dev.foundry.backend.githubdata.GithubDataEvents.SyncFailed;
import dev.foundry.backend.githubdata.GithubDataEvents.SyncFinished;
import dev.foundry.backend.githubdata.GithubDataEvents.SyncStarted;
import dev.foundry.backend.githubdata.GithubDataTables.Meta;
import dev.foundry.backend.protocol.GithubDataProtocol;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubMember;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubPullRequest;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubRepository;
import dev.foundry.backend.protocol.GithubDataProtocol.MemberInput;
import dev.foundry.backend.protocol.GithubDataProtocol.PullRequestInput;
import dev.foundry.backend.protocol.GithubDataProtocol.RepositoryInput;
import dev.foundry.backend.protocol.GithubDataProtocol.RunSyncPhase;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncAccepted;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncInput;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncRepos;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummariesForBranches;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummaryForBranch;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The full sync (spec §7.4) as a chain of steps, each one command: discover the repositories, the
 * members, then the open pull requests {@value GithubDataProtocol#REPOSITORY_BATCH} repositories at
 * a time, then the sweep. A step's GitHub reads run off the actor thread; its rows are written in
 * one transaction together with the durable send of the next step, so a crash resumes at the first
 * step not finished (the finished ones are not read from GitHub again). A request while a sync runs
 * joins it. Every step reports its progress to the organization.
 */
final class FullSync {
  /** Upstream's step timeout: one step may read many pages. */
  private static final Duration STEP_TIMEOUT = Duration.ofMinutes(10);

  private final GitHubDataSource github;
  private final DurableRef<GithubDataProtocol.Command<?>> self;
  private final DurableRef<OrganizationProtocol.Command<?>> organization;

  FullSync(
      GitHubDataSource github,
      DurableRef<GithubDataProtocol.Command<?>> self,
      DurableRef<OrganizationProtocol.Command<?>> organization) {
    this.github = github;
    this.self = self;
    this.organization = organization;
  }

  static boolean changesMeta(Event e) {
    return e instanceof SyncStarted
        || e instanceof RepositoriesSynced
        || e instanceof MembersSynced
        || e instanceof PullRequestsSynced
        || e instanceof SyncFinished
        || e instanceof SyncFailed;
  }

  Decision<SyncAccepted> start(SyncRepos cmd, GithubDataTables tables) {
    Meta meta = tables.meta();
    if ("syncing".equals(meta.syncStatus())) {
      return Decision.reply(new SyncAccepted(false, meta.generation()));
    }
    SyncInput in =
        cmd.input() == null ? new SyncInput(null, null, null, null, null, null) : cmd.input();
    if (in.kind() != null && !in.kind().equals("personal") && !in.kind().equals("organization")) {
      return Decision.reject("invalid_kind", "kind must be personal or organization");
    }
    long generation = meta.generation() + 1;
    String label =
        in.label() == null || in.label().isBlank() ? "Syncing GitHub data..." : in.label();
    return Decision.<SyncAccepted>persist(
            new SyncStarted(generation, in, label, System.currentTimeMillis()))
        .andTell(self, new RunSyncPhase(generation, DISCOVERING, 0))
        .thenReply(() -> new SyncAccepted(true, generation));
  }

  Decision<Boolean> run(RunSyncPhase cmd, GithubDataTables tables) {
    Meta meta = tables.meta();
    if (!"syncing".equals(meta.syncStatus())
        || meta.generation() != cmd.generation()
        || !cmd.phase().equals(meta.phase())
        || (cmd.phase().equals(SYNCING_PULL_REQUESTS) && cmd.offset() != meta.processed())) {
      // A step of another sync, or one done already (a redelivery after a crash).
      return Decision.reply(false);
    }
    long generation = cmd.generation();
    return switch (cmd.phase()) {
      case DISCOVERING ->
          Decision.after(
              STEP_TIMEOUT,
              github.repositories(meta.installationId()),
              repos -> repositoriesRead(generation, repos),
              failure -> failed(generation, failure));
      case SYNCING_MEMBERS ->
          Decision.after(
              STEP_TIMEOUT,
              github.members(meta.installationId(), meta.githubLogin(), meta.kind()),
              members -> membersRead(generation, members),
              failure -> failed(generation, failure));
      case SYNCING_PULL_REQUESTS -> pullRequestStep(generation, cmd.offset(), meta, tables);
      default -> Decision.reply(false);
    };
  }

  private Decision<Boolean> repositoriesRead(long generation, List<RepositoryInput> found) {
    List<GithubRepository> repos = new ArrayList<>();
    for (RepositoryInput in : found) {
      GithubRepository r = PullRequests.repository(in);
      if (r != null) {
        repos.add(r);
      }
    }
    String label =
        repos.isEmpty()
            ? "No repositories available"
            : "Importing " + repos.size() + " repositories...";
    return Decision.<Boolean>persist(
            new RepositoriesSynced(generation, repos, label, System.currentTimeMillis()))
        .andTell(self, new RunSyncPhase(generation, SYNCING_MEMBERS, 0))
        .thenReply(() -> true);
  }

  private Decision<Boolean> membersRead(long generation, List<MemberInput> found) {
    List<GithubMember> members = new ArrayList<>();
    for (MemberInput m : found) {
      members.add(
          new GithubMember(
              m.memberId(),
              m.login(),
              m.displayName() == null ? m.login() : m.displayName(),
              m.email(),
              m.role(),
              "active"));
    }
    return Decision.<Boolean>persist(
            new MembersSynced(generation, members, System.currentTimeMillis()))
        .andTell(self, new RunSyncPhase(generation, SYNCING_PULL_REQUESTS, 0))
        .thenReply(() -> true);
  }

  private Decision<Boolean> pullRequestStep(
      long generation, int offset, Meta meta, GithubDataTables tables) {
    List<GithubRepository> batch = tables.repositoryBatch(generation, offset, REPOSITORY_BATCH);
    if (batch.isEmpty()) {
      return finish(generation, meta, tables);
    }
    List<RepositoryInput> inputs = new ArrayList<>();
    for (GithubRepository r : batch) {
      inputs.add(new RepositoryInput(r.fullName(), r.cloneUrl(), r.isPrivate(), r.defaultBranch()));
    }
    return Decision.after(
        STEP_TIMEOUT,
        github.openPullRequests(meta.installationId(), inputs),
        byRepo -> pullRequestsRead(generation, offset, batch, byRepo, meta, tables),
        failure -> failed(generation, failure));
  }

  private Decision<Boolean> pullRequestsRead(
      long generation,
      int offset,
      List<GithubRepository> batch,
      Map<String, List<PullRequestInput>> byRepo,
      Meta meta,
      GithubDataTables tables) {
    long now = System.currentTimeMillis();
    List<GithubPullRequest> prs = new ArrayList<>();
    List<RefreshTaskSummaryForBranch> changes = new ArrayList<>();
    for (GithubRepository repo : batch) {
      for (PullRequestInput in : byRepo.getOrDefault(repo.fullName(), List.of())) {
        GithubPullRequest p = PullRequests.of(repo, in, now);
        prs.add(p);
        if (PullRequests.changed(tables.pullRequest(p.prId()), p)) {
          changes.add(PullRequests.refresh(p, false));
        }
      }
    }
    int processed = offset + batch.size();
    String label =
        "Synced pull requests for " + processed + " of " + meta.total() + " repositories";
    Decision<Boolean> d =
        Decision.<Boolean>persist(new PullRequestsSynced(generation, prs, processed, label, now))
            .andTell(self, new RunSyncPhase(generation, SYNCING_PULL_REQUESTS, processed));
    for (RefreshTaskSummariesForBranches refresh : chunks(changes)) {
      d = d.andTell(organization, refresh);
    }
    return d.thenReply(() -> true);
  }

  /** Sweep what this sync did not see; the pull requests gone leave their branches' summaries. */
  private Decision<Boolean> finish(long generation, Meta meta, GithubDataTables tables) {
    List<RefreshTaskSummaryForBranch> gone = new ArrayList<>();
    for (GithubPullRequest p : tables.pullRequestsOlderThan(generation)) {
      gone.add(PullRequests.refresh(p, true));
    }
    Decision<Boolean> d =
        Decision.persist(
            new SyncFinished(
                generation,
                "Synced " + meta.total() + " repositories",
                System.currentTimeMillis()));
    for (RefreshTaskSummariesForBranches refresh : chunks(gone)) {
      d = d.andTell(organization, refresh);
    }
    return d.thenReply(() -> true);
  }

  private Decision<Boolean> failed(long generation, Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof java.util.concurrent.CompletionException
            || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    return Decision.<Boolean>persist(
            new SyncFailed(generation, message, System.currentTimeMillis()))
        .thenReply(() -> false);
  }

  /** The organization takes at most 500 branches per refresh. */
  private static List<RefreshTaskSummariesForBranches> chunks(
      List<RefreshTaskSummaryForBranch> all) {
    List<RefreshTaskSummariesForBranches> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 500) {
      out.add(new RefreshTaskSummariesForBranches(all.subList(i, Math.min(all.size(), i + 500))));
    }
    return out;
  }
}
