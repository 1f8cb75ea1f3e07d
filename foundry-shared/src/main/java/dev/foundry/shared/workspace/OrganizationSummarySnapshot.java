package dev.foundry.shared.workspace;

import java.util.List;

/**
 * Everything an organization's page shows, always as a full projection: repositories by activity,
 * task summaries newest first ({@code OrganizationSummarySnapshot}).
 */
public record OrganizationSummarySnapshot(
    String organizationId,
    OrganizationGithubSummary github,
    List<WorkspaceRepositorySummary> repos,
    List<WorkspaceTaskSummary> taskSummaries,
    List<WorkspaceOpenPullRequest> openPullRequests) {}
