package dev.foundry.shared.contracts;

/** A repository of an organization's catalog; {@code repoId} derives from {@code remoteUrl}. */
public record RepoRecord(
    String organizationId,
    String repoId,
    String remoteUrl,
    String label,
    String defaultBranch,
    long createdAt,
    long updatedAt) {}
