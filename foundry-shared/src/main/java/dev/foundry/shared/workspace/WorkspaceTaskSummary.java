package dev.foundry.shared.workspace;

import dev.foundry.shared.contracts.TaskStatus;
import java.util.List;

/**
 * A task in its organization's sidebar ({@code WorkspaceTaskSummary}). {@code activeSessionId} is
 * the caller's; a summary built without a user has it null.
 */
public record WorkspaceTaskSummary(
    String id,
    String repoId,
    String title,
    TaskStatus status,
    String repoName,
    long updatedAtMs,
    String branch,
    WorkspacePullRequestSummary pullRequest,
    String activeSessionId,
    List<WorkspaceSessionSummary> sessionsSummary,
    String primaryUserLogin,
    String primaryUserAvatarUrl) {}
