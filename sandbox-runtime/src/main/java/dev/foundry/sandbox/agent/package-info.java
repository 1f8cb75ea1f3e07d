/**
 * The offline agent shipped with Foundry: a small ACP agent over stdio (NDJSON JSON-RPC) that
 * streams replies, plans, makes a real file edit through a tool call behind a permission request,
 * honours cancel, and can be told to crash or hang. {@link
 * dev.foundry.sandbox.agent.OfflineAgentLauncher} installs it into a sandbox in place of
 * sandbox-agent's built-in echo {@code mock}, so sessions work with no network and no API keys.
 *
 * <p>{@code OfflineAgent} itself depends on Jackson only (it runs as its own small JVM inside the
 * sandbox, with stdout reserved for the protocol); the launcher uses {@code
 * dev.foundry.sandbox.client}.
 */
package dev.foundry.sandbox.agent;
