package dev.foundry.shared.workspace;

/**
 * One entry of a session's transcript, the same in a snapshot and in {@code transcriptUpdated}:
 * {@code payload} is the raw sandbox-agent event (or the client's prompt), {@code turnId} the turn
 * it belongs to. {@code connectionId} is upstream's field name and carries the same turn id, kept
 * so clients written against upstream's shape keep working.
 */
public record WorkspaceTranscriptEvent(
    String id,
    long eventIndex,
    String sessionId,
    long createdAt,
    String connectionId,
    String sender,
    Object payload,
    String turnId) {}
