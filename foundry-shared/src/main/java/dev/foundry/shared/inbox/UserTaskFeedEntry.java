package dev.foundry.shared.inbox;

/**
 * A task in a user's feed. The feed is ordered by {@code bumpedAtMs}, newest first: a task moves up
 * when something the user should see happens to it ({@code reason}).
 */
public record UserTaskFeedEntry(
    String organizationId,
    String repoId,
    String taskId,
    String title,
    String reason,
    long bumpedAtMs,
    boolean unread) {}
