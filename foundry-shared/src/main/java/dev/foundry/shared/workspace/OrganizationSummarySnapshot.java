package dev.foundry.shared.workspace;

import dev.foundry.shared.app.FoundryBillingState;
import java.util.List;

/**
 * Everything an organization's page shows, always as a full projection: repositories by activity,
 * task summaries newest first ({@code OrganizationSummarySnapshot}). {@code billing} (added after
 * upstream's fields) is the organization's billing state, so that plan changes show live.
 */
public record OrganizationSummarySnapshot(
    String organizationId,
    OrganizationGithubSummary github,
    List<WorkspaceRepositorySummary> repos,
    List<WorkspaceTaskSummary> taskSummaries,
    List<WorkspaceOpenPullRequest> openPullRequests,
    FoundryBillingState billing) {}
