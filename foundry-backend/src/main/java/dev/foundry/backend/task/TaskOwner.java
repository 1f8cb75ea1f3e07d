package dev.foundry.backend.task;

/** A task's primary user: the one whose git identity and credentials its sandbox uses. */
public record TaskOwner(String userId, String login, String email, String avatarUrl) {}
