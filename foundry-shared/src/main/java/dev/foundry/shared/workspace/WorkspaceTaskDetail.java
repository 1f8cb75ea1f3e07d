package dev.foundry.shared.workspace;

import dev.foundry.shared.contracts.TaskStatus;
import java.util.List;
import java.util.Map;

/** A task with everything its page shows ({@code WorkspaceTaskDetail}: summary + detail). */
public record WorkspaceTaskDetail(
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
    String primaryUserAvatarUrl,
    String task,
    List<WorkspaceFileChange> fileChanges,
    Map<String, String> diffs,
    List<WorkspaceFileTreeNode> fileTree,
    int minutesUsed,
    List<WorkspaceSandboxSummary> sandboxes,
    String activeSandboxId) {}
