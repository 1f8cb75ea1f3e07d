/**
 * The {@code sandbox} actor (spec §8): one per task, key {@code ["org", orgId, "sandbox", taskId]}
 * (the sandbox id is the task id). It provisions the task's sandbox through a {@link
 * dev.foundry.sandbox.provider.SandboxProvider} (local by default), clones the repository, writes
 * the owner's git credentials, runs agent sessions whose turns stream into a transcript through
 * later commands (a turn never holds the queue), starts processes, derives the git state after each
 * turn, reverts files, pushes the branch, and destroys the sandbox.
 *
 * <p>Live handles (server clients, agent sessions, running turns) live in {@link
 * dev.foundry.backend.sandbox.SandboxHost}, one per actor system: they survive passivation, never
 * reach the journal, and are rebuilt from the tables after a restart. The host must be configured
 * before the runtime starts:
 *
 * <pre>{@code
 * SandboxHost.get(system).configure(
 *     new LocalSandboxProvider(LocalSandboxSettings.of(settings.sandbox().root(), binary, io)
 *         .withIsolation(SandboxIsolation.BWRAP)),   // provider id "isolated"
 *     (orgId, userId) -> credentialsOfTheOwner(orgId, userId));
 * DurableRuntime.start(system, settings, hub, List.of(..., SandboxActor.KIND));  // FoundryApp
 * }</pre>
 *
 * <p>The actor is split by concern: {@code SandboxActor} (handler table, lifecycle, processes),
 * {@code SandboxSessions} (sessions and turns), {@code SandboxRepository} (clone, credentials, git
 * work), sharing a {@code SandboxScope}; {@code SandboxEvents} are its journal, {@code
 * SandboxTables} applies them, {@code SandboxBroadcasts} reports to the task and publishes.
 *
 * <p>May depend on {@code runtime}, {@code protocol} (the only way to other actors), {@code
 * foundry-shared} and {@code sandbox-runtime}; never on HTTP.
 */
package dev.foundry.backend.sandbox;
