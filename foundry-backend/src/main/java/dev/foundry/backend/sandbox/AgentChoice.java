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

  /**
   * The agent that runs a session, and, when it is not the model's own, why ({@code note}; null
   * when the model's agent runs).
   */
  record Choice(String agent, String note) {}

  static CompletionStage<Choice> forModel(SandboxAgentClient client, String model) {
    String wanted = agentOf(model);
    var http = client.http();
    return http.sendForJson("agent " + wanted, http.request("/v1/agents/" + wanted).GET().build())
        .thenApply(info -> choose(wanted, model, whyNot(info)))
        .exceptionally(failure -> choose(wanted, model, "the sandbox does not know it"))
        .thenCompose(CompletableFuture::completedFuture);
  }

  private static Choice choose(String wanted, String model, String whyNot) {
    if (whyNot == null) {
      return new Choice(wanted, null);
    }
    return new Choice(
        SandboxProtocol.DEFAULT_AGENT,
        "the offline agent ("
            + SandboxProtocol.DEFAULT_AGENT
            + ") runs this session, not "
            + wanted
            + " for "
            + model
            + ": "
            + whyNot);
  }

  /** Why {@code info}'s agent cannot run, or null if it can. */
  private static String whyNot(JsonNode info) {
    if (!info.path("installed").asBoolean(false)) {
      return "it is not installed in the sandbox";
    }
    if (!info.path("credentialsAvailable").asBoolean(false)) {
      return "no "
          + ("codex".equals(info.path("id").asText()) ? "OpenAI" : "Anthropic")
          + " API key (PUT /v1/app/provider-credentials/{provider})";
    }
    return null;
  }
}
