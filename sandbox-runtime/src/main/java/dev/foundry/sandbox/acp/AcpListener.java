package dev.foundry.sandbox.acp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Receives what the agent sends on its own: notifications such as {@code session/update}, and the
 * end of the connection. Calls for one connection arrive one at a time, in stream order, on the
 * client's executor; do not block in them.
 */
public interface AcpListener {

  /** A JSON-RPC notification from the agent (no id), e.g. {@code session/update}. */
  default void onNotification(String method, JsonNode params) {}

  /**
   * The connection ended: {@code cause} is null after {@link AcpConnection#close()}, an {@code
   * AgentProcessExitedException} when the agent died, or the stream failure that ended it.
   */
  default void onClosed(Throwable cause) {}
}
