/**
 * The {@code sandbox} actor (spec §8): one per task, key {@code ["org", orgId, "sandbox", taskId]}.
 * It provisions the task's sandbox through a {@link dev.foundry.sandbox.provider.SandboxProvider}
 * (local by default), clones the repository, writes the owner's git credentials, runs agent
 * sessions whose turns stream into a transcript through later commands (never holding the queue),
 * starts processes, derives the git state after each turn, and destroys the sandbox.
 *
 * <p>Live handles (server clients, agent sessions, running turns) live in {@link SandboxHost}, one
 * per actor system: they survive passivation, never reach the journal, and are rebuilt from the
 * tables after a restart.
 *
 * <p>May depend on {@code runtime}, {@code foundry-shared} and {@code sandbox-runtime}.
 */
package dev.foundry.backend.sandbox;
