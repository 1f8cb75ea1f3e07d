package dev.foundry.sandbox.acp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.sandbox.client.SandboxAgentException;

/**
 * The agent answered a request with a JSON-RPC error (it travels inside an HTTP 200). Codes per
 * ACP: -32601 method not supported, -32602 invalid params, -32603 internal, -32000 auth required,
 * -32002 resource not found.
 */
public final class AcpErrorException extends SandboxAgentException {

  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;

  private final int code;
  private final JsonNode data;

  public AcpErrorException(String method, int code, String message, JsonNode data) {
    super(method + " failed: JSON-RPC error " + code + ": " + message);
    this.code = code;
    this.data = data;
  }

  /** For an agent-request handler to answer with a specific error. */
  public static AcpErrorException of(int code, String message) {
    return new AcpErrorException("agent request", code, message, null);
  }

  public int code() {
    return code;
  }

  public JsonNode data() {
    return data;
  }

  public String rpcMessage() {
    String m = getMessage();
    int i = m.indexOf(": JSON-RPC error ");
    return i < 0 ? m : m.substring(m.indexOf(": ", i + 2) + 2);
  }
}
