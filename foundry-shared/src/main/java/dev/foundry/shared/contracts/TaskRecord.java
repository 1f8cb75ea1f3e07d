package dev.foundry.shared.contracts;

import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import java.util.List;

/** The full record of one task ({@code TaskRecord}). */
public record TaskRecord(
    String organizationId,
    String repoId,
    String repoRemote,
    String taskId,
    String branchName,
    String title,
    String task,
    String sandboxProviderId,
    TaskStatus status,
    String activeSandboxId,
    WorkspacePullRequestSummary pullRequest,
    List<TaskSandboxRecord> sandboxes,
    long createdAt,
    long updatedAt) {}
