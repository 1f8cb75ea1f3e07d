/**
 * The {@code task} actor (spec §5): one branch of one repository, key {@code ["org", orgId, "task",
 * repoId, taskId]}. It owns the task's lifecycle, title, owner and its sessions' metadata, derives
 * its status, pushes its summary up to its organization and records its lifecycle in the audit log.
 * Per-user state (selected session, unread, drafts) is written to the user actor.
 *
 * <p>May depend on {@code runtime}, {@code foundry-shared} and the {@code organization}, {@code
 * user} and {@code auditlog} actors it talks to.
 */
package dev.foundry.backend.task;
