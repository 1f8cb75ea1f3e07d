package dev.foundry.backend.githubdata;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.GithubDataProtocol.ClearInput;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubMember;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubPullRequest;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubRepository;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncInput;
import dev.foundry.backend.runtime.DurableEvent;
import java.util.List;

/**
 * What the github-data actor journals. Their {@code @JsonTypeName}s are the names on disk and never
 * change. Every event that changes the meta row makes the organization's GitHub state follow.
 */
public final class GithubDataEvents {
  private GithubDataEvents() {}

  public sealed interface Event extends DurableEvent {}

  /** Sync {@code generation} began: phase {@code discovering_repositories}. */
  @JsonTypeName("github-data.sync-started")
  public record SyncStarted(long generation, SyncInput input, String label, long at)
      implements Event {}

  /** Phase 1 done: the repositories GitHub lists, stamped with the generation. */
  @JsonTypeName("github-data.repositories-synced")
  public record RepositoriesSynced(
      long generation, List<GithubRepository> repositories, String label, long at)
      implements Event {}

  /** Phase 2 done: the members, stamped; members of older generations are swept. */
  @JsonTypeName("github-data.members-synced")
  public record MembersSynced(long generation, List<GithubMember> members, long at)
      implements Event {}

  /** One batch of phase 3: the open pull requests of {@code processed} repositories so far. */
  @JsonTypeName("github-data.pull-requests-synced")
  public record PullRequestsSynced(
      long generation, List<GithubPullRequest> pullRequests, int processed, String label, long at)
      implements Event {}

  /** Phase 4: rows of older generations swept, the sync {@code synced}. */
  @JsonTypeName("github-data.sync-finished")
  public record SyncFinished(long generation, String label, long at) implements Event {}

  @JsonTypeName("github-data.sync-failed")
  public record SyncFailed(long generation, String message, long at) implements Event {}

  @JsonTypeName("github-data.pull-request-upserted")
  public record PullRequestUpserted(GithubRepository repository, GithubPullRequest pullRequest)
      implements Event {}

  @JsonTypeName("github-data.pull-request-removed")
  public record PullRequestRemoved(String prId, long at) implements Event {}

  /** A repository created, renamed or changed; {@code previousRepoId} is dropped (renames). */
  @JsonTypeName("github-data.repository-upserted")
  public record RepositoryUpserted(GithubRepository repository, String previousRepoId, long at)
      implements Event {}

  @JsonTypeName("github-data.repository-removed")
  public record RepositoryRemoved(String repoId, long at) implements Event {}

  /** Uninstalled or suspended: everything cached is gone, the generation kept. */
  @JsonTypeName("github-data.state-cleared")
  public record StateCleared(ClearInput input, long at) implements Event {}
}
