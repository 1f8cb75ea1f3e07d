package dev.foundry.sandbox.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One {@code session/prompt} of the {@link OfflineAgent}, run on its own thread. */
final class OfflineTurn {

  private final OfflineAgent agent;
  private final OfflineAgent.SessionState session;
  private final JsonNode requestId;
  private final String text;

  OfflineTurn(
      OfflineAgent agent, OfflineAgent.SessionState session, JsonNode requestId, JsonNode params) {
    this.agent = agent;
    this.session = session;
    this.requestId = requestId;
    StringBuilder joined = new StringBuilder();
    for (JsonNode block : params.path("prompt")) {
      if (block.hasNonNull("text")) {
        joined.append(joined.length() == 0 ? "" : " ").append(block.get("text").asText());
      }
    }
    this.text = joined.toString().strip();
  }

  void run() {
    try {
      String stopReason;
      if (text.startsWith("/crash")) {
        agent.crash(intArgument(3));
        return;
      } else if (text.startsWith("/hang")) {
        return; // never answers: the client's deadline has to end it
      } else if (text.startsWith("/slow")) {
        stopReason = slow(intArgument(10));
      } else if (text.startsWith("/burst")) {
        stopReason = burst(intArgument(1000));
      } else if (text.startsWith("/write")) {
        stopReason = write();
      } else if (text.startsWith("/run")) {
        stopReason = runCommand();
      } else {
        stopReason = reply();
      }
      end(stopReason);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      agent.sendError(requestId, -32603, "offline agent failed: " + e.getMessage());
    }
  }

  private String reply() {
    thought("The user wrote " + text.length() + " characters; answering without tools.");
    String[] words = ("You said: " + text).split("(?<= )");
    for (String word : words) {
      if (session.cancelled) {
        return "cancelled";
      }
      message(word);
    }
    return "end_turn";
  }

  private String slow(int chunks) throws InterruptedException {
    for (int i = 1; i <= chunks; i++) {
      if (session.cancelled) {
        message("(cancelled after " + (i - 1) + " chunks)");
        return "cancelled";
      }
      message("chunk " + i + " ");
      Thread.sleep(100);
    }
    return session.cancelled ? "cancelled" : "end_turn";
  }

  private String burst(int chunks) {
    for (int i = 1; i <= chunks; i++) {
      message("c" + i + " ");
    }
    return "end_turn";
  }

  private String write() throws InterruptedException {
    String[] parts = text.split("\\s+", 3);
    if (parts.length < 2) {
      message("Usage: /write <path> <text>");
      return "end_turn";
    }
    String relative = parts[1];
    String content = parts.length > 2 ? parts[2] + "\n" : "";
    Path target = session.cwd.resolve(relative).normalize();
    if (!target.startsWith(session.cwd)) {
      message("I will not write " + relative + ": it is outside the working directory.");
      return "refusal";
    }
    plan("in_progress", "pending");
    if ("plan".equals(session.mode)) {
      message("Plan mode: I would write " + content.length() + " bytes to " + relative + ".");
      return "end_turn";
    }
    message("I will write " + relative + ".");

    String toolCallId = "call_" + session.toolCalls.incrementAndGet();
    ObjectNode toolCall = agent.json().createObjectNode();
    toolCall.put("sessionUpdate", "tool_call");
    toolCall.put("toolCallId", toolCallId);
    toolCall.put("title", "Write " + relative);
    toolCall.put("kind", "edit");
    toolCall.put("status", "pending");
    toolCall.putObject("rawInput").put("path", target.toString()).put("content", content);
    toolCall.putArray("locations").addObject().put("path", target.toString());
    agent.sendUpdate(session.id, toolCall);

    String outcome = askPermission(toolCallId, "Write " + relative, "edit");
    if (session.cancelled || outcome == null) {
      toolCallUpdate(toolCallId, "failed", textContent("Cancelled before writing."));
      return "cancelled";
    }
    if (!outcome.startsWith("allow")) {
      toolCallUpdate(toolCallId, "failed", textContent("Permission denied by the user."));
      message("I left " + relative + " unchanged.");
      return "end_turn";
    }

    toolCallUpdate(toolCallId, "in_progress", null);
    String oldText;
    try {
      oldText = Files.exists(target) ? Files.readString(target) : null;
      Files.createDirectories(target.getParent());
      Files.writeString(target, content, StandardCharsets.UTF_8);
    } catch (IOException e) {
      toolCallUpdate(toolCallId, "failed", textContent("Write failed: " + e.getMessage()));
      message("I could not write " + relative + ".");
      return "end_turn";
    }
    ArrayNode diff = agent.json().createArrayNode();
    ObjectNode d = diff.addObject().put("type", "diff").put("path", target.toString());
    if (oldText == null) {
      d.putNull("oldText");
    } else {
      d.put("oldText", oldText);
    }
    d.put("newText", content);
    toolCallUpdate(toolCallId, "completed", diff);
    plan("completed", "completed");
    message(
        "Wrote " + content.getBytes(StandardCharsets.UTF_8).length + " bytes to " + relative + ".");
    return "end_turn";
  }

  /**
   * {@code /run <command>}: a {@code tool_call} of kind execute, a permission request, and on
   * approval {@code sh -c command} in the session's cwd, with the agent's own environment — what a
   * coding agent's shell tool does, so tests can look at a sandbox from an agent's side.
   */
  private String runCommand() throws InterruptedException {
    String command = text.substring("/run".length()).strip();
    if (command.isEmpty()) {
      message("Usage: /run <command>");
      return "end_turn";
    }
    String toolCallId = "call_" + session.toolCalls.incrementAndGet();
    ObjectNode toolCall = agent.json().createObjectNode();
    toolCall.put("sessionUpdate", "tool_call");
    toolCall.put("toolCallId", toolCallId);
    toolCall.put("title", "Run " + command);
    toolCall.put("kind", "execute");
    toolCall.put("status", "pending");
    toolCall.putObject("rawInput").put("command", command);
    agent.sendUpdate(session.id, toolCall);

    String outcome = askPermission(toolCallId, "Run " + command, "execute");
    if (session.cancelled || outcome == null) {
      toolCallUpdate(toolCallId, "failed", textContent("Cancelled before running."));
      return "cancelled";
    }
    if (!outcome.startsWith("allow")) {
      toolCallUpdate(toolCallId, "failed", textContent("Permission denied by the user."));
      message("I did not run it.");
      return "end_turn";
    }
    toolCallUpdate(toolCallId, "in_progress", null);
    OfflineShell.Result result = OfflineShell.run(command, session.cwd, () -> session.cancelled);
    toolCallUpdate(
        toolCallId, result.exitCode() == 0 ? "completed" : "failed", textContent(result.output()));
    message("Exit code " + result.exitCode() + ".");
    return session.cancelled ? "cancelled" : "end_turn";
  }

  /** Returns the selected option's kind (allow_once, reject_once, ...), or null if cancelled. */
  private String askPermission(String toolCallId, String title, String kind)
      throws InterruptedException {
    ObjectNode params = agent.json().createObjectNode();
    params.put("sessionId", session.id);
    params
        .putObject("toolCall")
        .put("toolCallId", toolCallId)
        .put("title", title)
        .put("kind", kind)
        .put("status", "pending");
    ArrayNode options = params.putArray("options");
    options.addObject().put("optionId", "allow").put("name", "Allow").put("kind", "allow_once");
    options
        .addObject()
        .put("optionId", "allow-always")
        .put("name", "Always allow")
        .put("kind", "allow_always");
    options.addObject().put("optionId", "reject").put("name", "Reject").put("kind", "reject_once");
    var response = agent.requestFromClient("session/request_permission", params);
    JsonNode answer;
    while (true) {
      try {
        answer = response.get(200, TimeUnit.MILLISECONDS);
        break;
      } catch (TimeoutException e) {
        if (session.cancelled) {
          return null;
        }
      } catch (ExecutionException e) {
        return null;
      }
    }
    JsonNode outcome = answer.path("result").path("outcome");
    if (!"selected".equals(outcome.path("outcome").asText())) {
      return null;
    }
    String optionId = outcome.path("optionId").asText();
    for (JsonNode option : options) {
      if (option.path("optionId").asText().equals(optionId)) {
        return option.path("kind").asText();
      }
    }
    return "reject_once"; // an option we never offered counts as no
  }

  private void plan(String first, String second) {
    ObjectNode plan = agent.json().createObjectNode().put("sessionUpdate", "plan");
    ArrayNode entries = plan.putArray("entries");
    entries
        .addObject()
        .put("content", "Edit the file")
        .put("priority", "high")
        .put("status", first);
    entries
        .addObject()
        .put("content", "Report back")
        .put("priority", "medium")
        .put("status", second);
    agent.sendUpdate(session.id, plan);
  }

  private void thought(String t) {
    ObjectNode update = agent.json().createObjectNode().put("sessionUpdate", "agent_thought_chunk");
    update.putObject("content").put("type", "text").put("text", t);
    agent.sendUpdate(session.id, update);
  }

  private void message(String t) {
    ObjectNode update = agent.json().createObjectNode().put("sessionUpdate", "agent_message_chunk");
    update.putObject("content").put("type", "text").put("text", t);
    agent.sendUpdate(session.id, update);
  }

  private void toolCallUpdate(String toolCallId, String status, JsonNode content) {
    ObjectNode update = agent.json().createObjectNode().put("sessionUpdate", "tool_call_update");
    update.put("toolCallId", toolCallId).put("status", status);
    if (content != null) {
      update.set("content", content);
    }
    agent.sendUpdate(session.id, update);
  }

  private ArrayNode textContent(String t) {
    ArrayNode content = agent.json().createArrayNode();
    content
        .addObject()
        .put("type", "content")
        .putObject("content")
        .put("type", "text")
        .put("text", t);
    return content;
  }

  private void end(String stopReason) {
    agent.sendResult(requestId, agent.json().createObjectNode().put("stopReason", stopReason));
  }

  private int intArgument(int fallback) {
    String[] parts = text.split("\\s+");
    if (parts.length < 2) {
      return fallback;
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
