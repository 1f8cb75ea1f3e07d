/**
 * The sandbox provider SPI: {@link dev.foundry.sandbox.provider.SandboxProvider} creates, finds
 * again, stops and destroys sandboxes, each an isolated place running one sandbox-agent server.
 * Implementations: {@code local} (a server process per sandbox on this machine); Docker and E2B
 * follow the same contract.
 *
 * <p>Depends on {@code dev.foundry.sandbox.client}.
 */
package dev.foundry.sandbox.provider;
