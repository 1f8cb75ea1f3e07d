/**
 * The {@code user} actor (spec §6): one per user, key {@code ["org", "app", "user", userId]}. It
 * holds the user's profile and default model, per-user task state (selected session, unread,
 * drafts: never on the task, so two users never see each other's), agent provider credentials
 * sealed with AES-GCM by {@link dev.foundry.backend.user.CredentialCipher} before they reach the
 * actor, and the inbox (task feed by bumps, notifications).
 *
 * <p>May depend on {@code runtime}, {@code protocol} ({@code UserProtocol} is how others reach it)
 * and {@code foundry-shared}; never on another actor package or on HTTP.
 */
package dev.foundry.backend.user;
