package dev.foundry.sandbox.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One agent the server knows ({@code GET /v1/agents}). {@code version}, {@code path} and {@code
 * configOptions} are filled only when asked for with {@code config=true}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentInfo(
    String id,
    boolean installed,
    boolean credentialsAvailable,
    String version,
    String path,
    JsonNode capabilities,
    List<AgentConfigOption> configOptions) {

  public AgentInfo {
    configOptions = configOptions == null ? List.of() : List.copyOf(configOptions);
  }
}
