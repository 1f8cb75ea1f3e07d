/**
 * The {@code task} actor (spec §5): one branch of one repository, addressed by {@code
 * TaskProtocol.TaskAddress} (organization, repository, task). It owns the task's lifecycle, title,
 * owner and its sessions' metadata, derives its status, works through its sandbox, pushes its
 * summary up to its organization and records its lifecycle in the audit log. Per-user state
 * (selected session, unread, drafts) is written to the user actor.
 *
 * <p>May depend on {@code runtime}, {@code foundry-shared} and {@code protocol} only: the
 * organization, user, audit log and sandbox actors are reached through their protocols.
 */
package dev.foundry.backend.task;
