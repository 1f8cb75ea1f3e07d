package dev.foundry.shared.workspace;

import java.util.List;

/** One user's unsent message in one session; {@code updatedAtMs} is null when never written. */
public record WorkspaceComposerDraft(
    String text, List<WorkspaceLineAttachment> attachments, Long updatedAtMs) {
  public static final WorkspaceComposerDraft EMPTY =
      new WorkspaceComposerDraft("", List.of(), null);
}
