package dev.foundry.sandbox.session;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import java.util.List;

/**
 * One {@code session/update} from the agent, typed by its {@code sessionUpdate} kind (ACP). Kinds
 * this version does not know arrive as {@link Unknown} with the raw JSON, so a newer agent never
 * breaks a turn.
 */
public sealed interface SessionUpdate {

  /** The wire name of the kind, e.g. {@code agent_message_chunk}. */
  String kind();

  /** A piece of the agent's reply. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record AgentMessageChunk(ContentBlock content) implements SessionUpdate {
    public String kind() {
      return "agent_message_chunk";
    }
  }

  /** A piece of the agent's reasoning. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record AgentThoughtChunk(ContentBlock content) implements SessionUpdate {
    public String kind() {
      return "agent_thought_chunk";
    }
  }

  /** The user's message, replayed (e.g. when a session is loaded). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record UserMessageChunk(ContentBlock content) implements SessionUpdate {
    public String kind() {
      return "user_message_chunk";
    }
  }

  /**
   * The agent starts a tool call. {@code kind} is ACP's tool kind (read, edit, execute, ...);
   * {@code content} and {@code locations} are kept as JSON (text, diffs, terminals; paths).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record ToolCall(
      String toolCallId,
      String title,
      @com.fasterxml.jackson.annotation.JsonProperty("kind") String toolKind,
      String status,
      JsonNode rawInput,
      JsonNode content,
      JsonNode locations)
      implements SessionUpdate {
    public String kind() {
      return "tool_call";
    }
  }

  /** Progress or result of a tool call; absent fields are unchanged. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record ToolCallUpdate(
      String toolCallId, String status, String title, JsonNode content, JsonNode rawOutput)
      implements SessionUpdate {
    public String kind() {
      return "tool_call_update";
    }
  }

  /** The agent's plan, always complete (replaces the previous one). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Plan(List<Entry> entries) implements SessionUpdate {
    public Plan {
      entries = entries == null ? List.of() : List.copyOf(entries);
    }

    public String kind() {
      return "plan";
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Entry(String content, String priority, String status) {}
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record AvailableCommandsUpdate(JsonNode availableCommands) implements SessionUpdate {
    public String kind() {
      return "available_commands_update";
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record CurrentModeUpdate(String currentModeId) implements SessionUpdate {
    public String kind() {
      return "current_mode_update";
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record ConfigOptionUpdate(JsonNode configOptions) implements SessionUpdate {
    public String kind() {
      return "config_option_update";
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record SessionInfoUpdate(String title) implements SessionUpdate {
    public String kind() {
      return "session_info_update";
    }
  }

  /** Token usage and cost; the shape differs between agents, so it stays JSON. */
  record UsageUpdate(JsonNode raw) implements SessionUpdate {
    public String kind() {
      return "usage_update";
    }
  }

  /** A kind this client does not know. */
  record Unknown(String kind, JsonNode raw) implements SessionUpdate {}

  /** Parses the {@code update} object of a {@code session/update} notification. */
  static SessionUpdate parse(JsonNode update) {
    String kind = update.path("sessionUpdate").asText("");
    try {
      switch (kind) {
        case "agent_message_chunk":
          return bind(update, AgentMessageChunk.class);
        case "agent_thought_chunk":
          return bind(update, AgentThoughtChunk.class);
        case "user_message_chunk":
          return bind(update, UserMessageChunk.class);
        case "tool_call":
          return bind(update, ToolCall.class);
        case "tool_call_update":
          return bind(update, ToolCallUpdate.class);
        case "plan":
          return bind(update, Plan.class);
        case "available_commands_update":
          return bind(update, AvailableCommandsUpdate.class);
        case "current_mode_update":
          return bind(update, CurrentModeUpdate.class);
        case "config_option_update":
          return bind(update, ConfigOptionUpdate.class);
        case "session_info_update":
          return bind(update, SessionInfoUpdate.class);
        case "usage_update":
          return new UsageUpdate(update);
        default:
          return new Unknown(kind, update);
      }
    } catch (IllegalArgumentException e) {
      // A known kind in a shape we cannot bind is still worth passing on.
      return new Unknown(kind, update);
    }
  }

  private static <T extends SessionUpdate> T bind(JsonNode update, Class<T> type) {
    return SandboxAgentHttp.JSON.convertValue(update, type);
  }
}
