package dev.foundry.shared.realtime;

import dev.foundry.shared.workspace.WorkspaceTranscriptEvent;
import java.util.List;

/**
 * The {@code transcriptUpdated} event of the {@code session} topic: only the transcript entries one
 * command appended (numbered by {@code eventIndex}, in the snapshot's own entry type), with the
 * session's sandbox-side status. An increment, not a replacement: a long turn must not resend its
 * whole transcript with every streamed chunk.
 */
public record TranscriptUpdated(
    String sessionId, String status, String errorMessage, List<WorkspaceTranscriptEvent> entries) {}
