package dev.foundry.shared.app;

/** An organization's GitHub connection and sync progress. */
public record FoundryGithubState(
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
