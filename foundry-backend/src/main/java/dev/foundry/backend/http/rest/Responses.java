package dev.foundry.backend.http.rest;

import dev.foundry.shared.app.FoundryUser;

/** Response shapes of the REST API that are not shared wire records of {@code foundry-shared}. */
public final class Responses {
  private Responses() {}

  /** {@code GET /v1/auth/session}: who is signed in, and their active organization. */
  public record AuthSession(FoundryUser user, String activeOrganizationId) {}

  /** A fire-and-forget command, durably queued (202): its progress arrives over the WebSocket. */
  public record CommandAccepted(String commandId) {}

  /** A message the agent took: the id of the turn it started (its end arrives over WebSocket). */
  public record MessageAccepted(String turnId) {}

  /** One chunk of a sandbox process's output, as text (UTF-8; invalid bytes replaced). */
  public record ProcessOutput(long sequence, String stream, long timestampMs, String text) {}

  /** Whether a running turn was asked to stop. */
  public record TurnStopped(boolean stopped) {}

  /**
   * {@code GET .../repos/{repoId}}: the repository as in the catalog (the same fields as {@code
   * RepoRecord}), its open pull requests (from the GitHub cache; none for a repository added by a
   * non-GitHub URL) and its tasks grouped by branch, each branch with the pull request its tasks
   * show.
   */
  public record RepositoryOverview(
      String organizationId,
      String repoId,
      String remoteUrl,
      String label,
      String defaultBranch,
      long createdAt,
      long updatedAt,
      java.util.List<dev.foundry.shared.workspace.WorkspaceOpenPullRequest> openPullRequests,
      java.util.List<BranchOverview> branches) {}

  /** One branch of a repository: its tasks (newest first) and their pull request, if any. */
  public record BranchOverview(
      String branchName,
      dev.foundry.shared.workspace.WorkspacePullRequestSummary pullRequest,
      java.util.List<dev.foundry.shared.workspace.WorkspaceTaskSummary> tasks) {}
}
