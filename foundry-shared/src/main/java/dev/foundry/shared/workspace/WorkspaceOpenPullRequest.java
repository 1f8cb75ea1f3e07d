package dev.foundry.shared.workspace;

/** An open pull request of an organization's repositories. */
public record WorkspaceOpenPullRequest(
    String prId,
    String repoId,
    String repoFullName,
    int number,
    String title,
    String status,
    String state,
    String url,
    String headRefName,
    String baseRefName,
    String authorLogin,
    boolean isDraft,
    Long updatedAtMs) {}
