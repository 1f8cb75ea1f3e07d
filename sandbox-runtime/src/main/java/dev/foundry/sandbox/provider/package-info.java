/**
 * The sandbox provider SPI: {@link dev.foundry.sandbox.provider.SandboxProvider} creates, finds
 * again, stops and destroys sandboxes, each an isolated place running one sandbox-agent server.
 * Implementations: {@code local} and {@code isolated} (a server process per sandbox on this
 * machine, {@code provider.local}) and {@code remote} (a directory per sandbox on one server that
 * runs elsewhere, {@code provider.remote}); Docker and E2B would follow the same contract.
 *
 * <p>Depends on {@code dev.foundry.sandbox.client}.
 */
package dev.foundry.sandbox.provider;
