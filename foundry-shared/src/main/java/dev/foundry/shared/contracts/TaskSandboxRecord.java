package dev.foundry.shared.contracts;

/** One sandbox a task used ({@code TaskRecord.sandboxes[]}). */
public record TaskSandboxRecord(
    String sandboxId,
    String sandboxProviderId,
    String sandboxActorId,
    String switchTarget,
    String cwd,
    long createdAt,
    long updatedAt) {}
