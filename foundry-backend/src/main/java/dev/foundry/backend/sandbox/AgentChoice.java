package dev.foundry.backend.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.sandbox.client.SandboxAgentClient;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Which sandbox-agent agent runs a session of a given model: the model's agent (claude for {@code
 * claude-*} models, codex for the others, as upstream's model table) when the sandbox has it
 * installed with credentials, else the offline agent in the {@code mock} slot. Real agents install
 * lazily from the internet and fail offline within a second (spec: sandbox-agent §13), so choosing
 * one that cannot run would turn every message into an error.
 */
final class AgentChoice {
  private AgentChoice() {}

  /** The sandbox-agent id of {@code model}'s agent. */
  static String agentOf(String model) {
    return model != null && model.toLowerCase(Locale.ROOT).startsWith("claude")
        ? "claude"
        : "codex";
  }

  static CompletionStage<String> forModel(SandboxAgentClient client, String model) {
    String wanted = agentOf(model);
    var http = client.http();
    return http.sendForJson("agent " + wanted, http.request("/v1/agents/" + wanted).GET().build())
        .thenApply(info -> runnable(info) ? wanted : SandboxProtocol.DEFAULT_AGENT)
        .exceptionally(failure -> SandboxProtocol.DEFAULT_AGENT)
        .thenCompose(CompletableFuture::completedFuture);
  }

  private static boolean runnable(JsonNode info) {
    return info.path("installed").asBoolean(false)
        && info.path("credentialsAvailable").asBoolean(false);
  }
}
