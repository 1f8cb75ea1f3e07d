package dev.foundry.sandbox.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.sandbox.client.SandboxAgentHttp;

/** The answer to a {@link PermissionRequest}: one of its options, or cancelled. */
public sealed interface PermissionDecision {

  record Selected(String optionId) implements PermissionDecision {}

  record Cancelled() implements PermissionDecision {}

  static PermissionDecision select(String optionId) {
    return new Selected(optionId);
  }

  static PermissionDecision cancelled() {
    return new Cancelled();
  }

  /** The ACP {@code result} of {@code session/request_permission}. */
  default JsonNode toResult() {
    ObjectNode result = SandboxAgentHttp.JSON.createObjectNode();
    ObjectNode outcome = result.putObject("outcome");
    if (this instanceof Selected) {
      outcome.put("outcome", "selected");
      outcome.put("optionId", ((Selected) this).optionId());
    } else {
      outcome.put("outcome", "cancelled");
    }
    return result;
  }
}
