package dev.foundry.shared.inbox;

/** A notification for one user; {@code readAtMs} is null while unread. */
public record UserNotification(
    long id,
    String organizationId,
    String taskId,
    String kind,
    String message,
    long createdAtMs,
    Long readAtMs) {}
