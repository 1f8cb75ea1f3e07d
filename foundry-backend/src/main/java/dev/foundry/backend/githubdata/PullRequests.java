package dev.foundry.backend.githubdata;

import dev.foundry.backend.protocol.GithubDataProtocol.GithubPullRequest;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubRepository;
import dev.foundry.backend.protocol.GithubDataProtocol.PullRequestInput;
import dev.foundry.backend.protocol.GithubDataProtocol.RepositoryInput;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummaryForBranch;
import dev.foundry.backend.protocol.RepositoryRemote;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;

/** GitHub's pull requests and repositories as the cache keeps them, and as tasks show them. */
final class PullRequests {
  private PullRequests() {}

  /** Null when the clone URL is not a remote Foundry accepts. */
  static GithubRepository repository(RepositoryInput in) {
    try {
      String repoId = RepositoryRemote.parse(in.cloneUrl()).repoId();
      return new GithubRepository(
          repoId,
          in.fullName(),
          in.cloneUrl(),
          in.isPrivate(),
          in.defaultBranch() == null || in.defaultBranch().isBlank() ? "main" : in.defaultBranch());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** OPEN, DRAFT, CLOSED or MERGED (upstream's normalisation). */
  static String state(PullRequestInput in) {
    if (in.merged()) {
      return "MERGED";
    }
    if ("closed".equalsIgnoreCase(in.state())) {
      return "CLOSED";
    }
    return in.isDraft() ? "DRAFT" : "OPEN";
  }

  static GithubPullRequest of(GithubRepository repo, PullRequestInput in, long now) {
    return new GithubPullRequest(
        repo.repoId() + "#" + in.number(),
        repo.repoId(),
        repo.fullName(),
        in.number(),
        in.title(),
        state(in),
        in.url(),
        in.headRefName(),
        in.baseRefName(),
        in.authorLogin(),
        in.isDraft(),
        in.updatedAtMs() == null ? now : in.updatedAtMs());
  }

  static WorkspacePullRequestSummary summary(GithubPullRequest p) {
    return new WorkspacePullRequestSummary(
        p.number(),
        p.isDraft() ? "draft" : "ready",
        p.title(),
        p.state(),
        p.url(),
        p.headRefName(),
        p.baseRefName(),
        p.repoFullName(),
        p.authorLogin(),
        p.isDraft(),
        p.updatedAtMs());
  }

  /** The organization's refresh of the branch's task summaries ({@code null}: PR gone). */
  static RefreshTaskSummaryForBranch refresh(GithubPullRequest p, boolean gone) {
    return new RefreshTaskSummaryForBranch(
        p.repoId(), p.headRefName(), gone ? null : summary(p), p.repoFullName());
  }

  /** What a task would show differently (upstream's change test, without {@code body}). */
  static boolean changed(GithubPullRequest before, GithubPullRequest after) {
    return before == null || !before.equals(after);
  }
}
