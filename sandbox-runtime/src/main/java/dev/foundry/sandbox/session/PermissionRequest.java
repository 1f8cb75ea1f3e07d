package dev.foundry.sandbox.session;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/**
 * The agent asks before a tool call ({@code session/request_permission}). {@code toolCall} is the
 * tool call as the agent describes it (at least {@code toolCallId} and {@code title}).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PermissionRequest(String sessionId, JsonNode toolCall, List<Option> options) {

  public PermissionRequest {
    options = options == null ? List.of() : List.copyOf(options);
  }

  public String toolCallId() {
    return toolCall == null ? null : toolCall.path("toolCallId").asText(null);
  }

  public String title() {
    return toolCall == null ? null : toolCall.path("title").asText(null);
  }

  /** The first option of the given ACP kind ({@code allow_once}, {@code reject_once}, ...). */
  public Optional<Option> option(String kind) {
    return options.stream().filter(o -> kind.equals(o.kind())).findFirst();
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Option(String optionId, String name, String kind) {}
}
