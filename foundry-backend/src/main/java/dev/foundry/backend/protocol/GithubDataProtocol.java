package dev.foundry.backend.protocol;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorType;
import dev.foundry.backend.runtime.DurableCommand;
import java.util.List;

/**
 * How the HTTP layer and other actors talk to an organization's github-data actor (spec §7): a
 * cache of GitHub (repositories, members, pull requests), never a coordinator. The inputs are plain
 * records so that a webhook delivery can carry them through the {@code app} instance's journal.
 */
public final class GithubDataProtocol {
  private GithubDataProtocol() {}

  /** The persisted name {@code "github-data"} and the command root. */
  public static final ActorType<Command<?>> TYPE = ActorType.of("github-data", Command.class);

  /** Repositories per pull-request batch of a full sync ({@code SYNC_REPOSITORY_BATCH_SIZE}). */
  public static final int REPOSITORY_BATCH = 10;

  /** The sync phases, in order. */
  public static final String DISCOVERING = "discovering_repositories";

  public static final String SYNCING_REPOSITORIES = "syncing_repositories";
  public static final String SYNCING_MEMBERS = "syncing_members";
  public static final String SYNCING_PULL_REQUESTS = "syncing_pull_requests";

  public record GithubDataAddress(String organizationId) {
    public ActorKey key() {
      return ActorKey.of("org", organizationId, "github-data");
    }

    public static GithubDataAddress of(ActorKey key) {
      return new GithubDataAddress(key.segments().get(1));
    }
  }

  public static ActorKey key(String organizationId) {
    return new GithubDataAddress(organizationId).key();
  }

  // Inputs -------------------------------------------------------------------------------------

  /**
   * What a full sync starts from ({@code FullSyncInput}); null fields keep what the actor knows.
   *
   * @param kind {@code personal} or {@code organization}
   */
  public record SyncInput(
      String connectedAccount,
      String installationStatus,
      Long installationId,
      String githubLogin,
      String kind,
      String label) {}

  /** What an uninstall or a suspension leaves ({@code clearState}). */
  public record ClearInput(
      String connectedAccount, String installationStatus, Long installationId, String label) {}

  /** A repository as GitHub describes it. */
  public record RepositoryInput(
      String fullName, String cloneUrl, boolean isPrivate, String defaultBranch) {}

  /**
   * A pull request as GitHub describes it; {@code state} is GitHub's ({@code open}, {@code closed})
   * and {@code merged} tells a merged one from a closed one.
   */
  public record PullRequestInput(
      RepositoryInput repository,
      int number,
      String title,
      String body,
      String state,
      String url,
      String headRefName,
      String baseRefName,
      String authorLogin,
      boolean isDraft,
      boolean merged,
      Long updatedAtMs) {}

  /** A member of the GitHub account. */
  public record MemberInput(
      String memberId, String login, String displayName, String email, String role) {}

  // Records ------------------------------------------------------------------------------------

  public record GithubRepository(
      String repoId, String fullName, String cloneUrl, boolean isPrivate, String defaultBranch) {}

  public record GithubMember(
      String memberId, String login, String displayName, String email, String role, String state) {}

  /** {@code state}: OPEN, DRAFT, CLOSED or MERGED (normalised). */
  public record GithubPullRequest(
      String prId,
      String repoId,
      String repoFullName,
      int number,
      String title,
      String state,
      String url,
      String headRefName,
      String baseRefName,
      String authorLogin,
      boolean isDraft,
      long updatedAtMs) {}

  /** {@code getSummary}: the meta row and the counts. */
  public record GithubDataSummary(
      String connectedAccount,
      String installationStatus,
      String syncStatus,
      Long installationId,
      String lastSyncLabel,
      Long lastSyncAt,
      long syncGeneration,
      String syncPhase,
      int processedRepositoryCount,
      int totalRepositoryCount,
      int repositoryCount,
      int memberCount,
      int pullRequestCount) {}

  /** How a sync request went: a new sync ({@code started}) or the one running ({@code joined}). */
  public record SyncAccepted(boolean started, long generation) {}

  // Commands -----------------------------------------------------------------------------------

  public sealed interface Command<R> extends DurableCommand<R> {}

  /** Starts a full sync, or joins the one running. */
  @JsonTypeName("github-data.sync-repos")
  public record SyncRepos(SyncInput input) implements Command<SyncAccepted> {}

  /**
   * The actor's own next step of sync {@code generation}: each step is sent durably with the events
   * of the step before, so a crash resumes at the first step not finished.
   */
  @JsonTypeName("github-data.run-sync-phase")
  public record RunSyncPhase(long generation, String phase, int offset)
      implements Command<Boolean> {}

  @JsonTypeName("github-data.handle-pull-request-webhook")
  public record HandlePullRequestWebhook(
      String connectedAccount, Long installationId, PullRequestInput pullRequest)
      implements Command<Boolean> {}

  /** {@code repository} deliveries: {@code action} created, deleted, renamed, archived, ... */
  @JsonTypeName("github-data.handle-repository-webhook")
  public record HandleRepositoryWebhook(
      String action, RepositoryInput repository, String previousFullName)
      implements Command<Boolean> {}

  @JsonTypeName("github-data.clear-state")
  public record ClearState(ClearInput input) implements Command<Boolean> {}

  // Queries ------------------------------------------------------------------------------------

  public record GetSummary() implements ActorQuery<GithubDataSummary> {}

  public record ListRepositories() implements ActorQuery<List<GithubRepository>> {}

  public record ListMembers() implements ActorQuery<List<GithubMember>> {}

  /** Open and draft pull requests, of one repository when {@code repoId} is set. */
  public record ListOpenPullRequests(String repoId)
      implements ActorQuery<List<GithubPullRequest>> {}
}
