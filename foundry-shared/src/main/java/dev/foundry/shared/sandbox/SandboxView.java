package dev.foundry.shared.sandbox;

/** What the task actor and the UI see of the sandbox. {@code state}: running or destroyed. */
public record SandboxView(
    String providerId,
    String sandboxId,
    String state,
    String baseUrl,
    String homeDir,
    String workDir,
    long provisionedAt,
    Long reattachedAt,
    RepositoryView repository,
    GitOwner gitOwner,
    GitState gitState) {}
