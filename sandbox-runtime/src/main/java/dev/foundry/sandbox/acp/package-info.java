/**
 * ACP (Agent Client Protocol) JSON-RPC over sandbox-agent's HTTP transport: {@link
 * dev.foundry.sandbox.acp.AcpConnection} posts envelopes to {@code /v1/acp/{serverId}}, reads the
 * agent's side from the SSE stream (resuming with {@code Last-Event-ID}), correlates responses by
 * id, answers the agent's own requests, and works around the 0.4.2 server's hangs.
 *
 * <p>Knows envelopes, not sessions: the session semantics live in {@code
 * dev.foundry.sandbox.session}. Depends on {@code dev.foundry.sandbox.client} only.
 */
package dev.foundry.sandbox.acp;
