package dev.foundry.shared.workspace;

import java.util.List;

/** One session with the caller's draft and its transcript ({@code WorkspaceSessionDetail}). */
public record WorkspaceSessionDetail(
    String sessionId,
    String sandboxSessionId,
    String sessionName,
    String agent,
    String model,
    WorkspaceSessionStatus status,
    Long thinkingSinceMs,
    boolean unread,
    boolean created,
    String errorMessage,
    WorkspaceComposerDraft draft,
    List<WorkspaceTranscriptEvent> transcript) {}
