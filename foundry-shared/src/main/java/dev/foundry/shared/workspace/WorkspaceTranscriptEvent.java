package dev.foundry.shared.workspace;

/** One raw sandbox-agent event of a session's transcript; {@code payload} is its JSON. */
public record WorkspaceTranscriptEvent(
    String id,
    long eventIndex,
    String sessionId,
    long createdAt,
    String connectionId,
    String sender,
    Object payload) {}
