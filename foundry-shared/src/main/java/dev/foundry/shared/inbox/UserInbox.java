package dev.foundry.shared.inbox;

import java.util.List;

/** A user's task feed (by bumps, newest first) and notifications (newest first). */
public record UserInbox(
    List<UserTaskFeedEntry> feed, List<UserNotification> notifications, int unreadCount) {}
