package dev.foundry.backend.user;

import dev.foundry.shared.workspace.WorkspaceComposerDraft;
import java.util.List;

/** One user's state of one task: the selected session and, per session, unread and draft. */
public record UserTaskState(String taskId, String activeSessionId, List<SessionState> sessions) {

  public record SessionState(
      String sessionId, boolean unread, WorkspaceComposerDraft draft, long updatedAt) {}

  /** This user's state of {@code sessionId}, or null when they never touched it. */
  public SessionState session(String sessionId) {
    return sessions.stream().filter(s -> s.sessionId().equals(sessionId)).findFirst().orElse(null);
  }
}
