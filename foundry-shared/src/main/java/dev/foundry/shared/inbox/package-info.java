/**
 * The user inbox that upstream designed ({@code backend/CLAUDE.md} "Inbox &amp; Notification
 * System") but never built: a task feed ordered by bumps, and notifications.
 */
package dev.foundry.shared.inbox;
