package dev.foundry.sandbox.acp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletionStage;

/**
 * Answers a request the agent sends to the client ({@code session/request_permission}, or {@code
 * fs/*} and {@code terminal/*} when the client advertised them). The returned stage's value becomes
 * the JSON-RPC {@code result}; failing it with an {@link AcpErrorException} sends that error, any
 * other failure sends an internal error.
 */
@FunctionalInterface
public interface AgentRequestHandler {

  CompletionStage<JsonNode> handle(String method, JsonNode params);
}
