package dev.foundry.shared.workspace;

/** A changed file in a task's working tree; {@code type} is M, A or D. */
public record WorkspaceFileChange(String path, int added, int removed, String type) {}
