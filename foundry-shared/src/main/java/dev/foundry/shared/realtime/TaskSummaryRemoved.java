package dev.foundry.shared.realtime;

/**
 * The {@code taskSummaryRemoved} event of the {@code organization} topic: the task {@code taskId}
 * left the organization's task list (its summary was deleted). Archiving does not remove a task: an
 * archived task stays listed with status {@code archived} and arrives as {@code
 * taskSummaryUpdated}.
 */
public record TaskSummaryRemoved(String taskId) {}
