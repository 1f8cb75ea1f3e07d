package dev.foundry.shared.workspace;

/** A sandbox of a task as a client sees it. */
public record WorkspaceSandboxSummary(
    String sandboxProviderId, String sandboxId, String cwd, String url) {}
