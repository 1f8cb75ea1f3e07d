package dev.foundry.shared.workspace;

/** A pull request as shown beside a task ({@code WorkspacePullRequestSummary}). */
public record WorkspacePullRequestSummary(
    int number,
    String status,
    String title,
    String state,
    String url,
    String headRefName,
    String baseRefName,
    String repoFullName,
    String authorLogin,
    boolean isDraft,
    Long updatedAtMs) {}
