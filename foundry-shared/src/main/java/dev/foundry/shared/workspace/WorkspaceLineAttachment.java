package dev.foundry.shared.workspace;

/** A line of a file attached to a message or draft. */
public record WorkspaceLineAttachment(
    String id, String filePath, int lineNumber, String lineContent) {}
