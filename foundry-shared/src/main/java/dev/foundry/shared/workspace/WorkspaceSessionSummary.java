package dev.foundry.shared.workspace;

/** One session of a task in the task's summary ({@code WorkspaceSessionSummary}). */
public record WorkspaceSessionSummary(
    String id,
    String sessionId,
    String sandboxSessionId,
    String sessionName,
    String agent,
    String model,
    WorkspaceSessionStatus status,
    Long thinkingSinceMs,
    boolean unread,
    boolean created,
    String errorMessage) {}
