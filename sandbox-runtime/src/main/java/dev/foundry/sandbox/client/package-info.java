/**
 * The wire to one sandbox-agent server: base URL, bearer token, client-side timeouts, JSON, and the
 * mapping of {@code application/problem+json} errors to typed exceptions. {@link
 * dev.foundry.sandbox.client.SandboxAgentClient} is the entry point; the process, file system and
 * ACP APIs in the sibling packages are reached from it.
 *
 * <p>Depends on {@code java.net.http}, Jackson and SLF4J only.
 */
package dev.foundry.sandbox.client;
