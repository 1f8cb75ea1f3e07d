package dev.foundry.shared.workspace;

/** The GitHub connection of an organization as its summary shows it. */
public record OrganizationGithubSummary(
    String connectedAccount,
    String installationStatus,
    String syncStatus,
    int importedRepoCount,
    String lastSyncLabel,
    Long lastSyncAt,
    Long lastWebhookAt,
    String lastWebhookEvent,
    long syncGeneration,
    String syncPhase,
    int processedRepositoryCount,
    int totalRepositoryCount) {}
