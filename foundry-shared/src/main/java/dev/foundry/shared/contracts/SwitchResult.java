package dev.foundry.shared.contracts;

/** Where a client switches to for a task; {@code switchTarget} is empty without a sandbox. */
public record SwitchResult(
    String organizationId, String taskId, String sandboxProviderId, String switchTarget) {}
