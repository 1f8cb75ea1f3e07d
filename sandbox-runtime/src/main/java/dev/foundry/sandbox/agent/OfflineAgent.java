package dev.foundry.sandbox.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ACP agent that needs no model: it behaves like a coding agent at the protocol level so the
 * product can be shown and tested end to end offline. Commands (also advertised to the client as
 * ACP {@code available_commands}):
 *
 * <ul>
 *   <li>any text: a thought, then the reply streamed in word chunks, {@code end_turn};
 *   <li>{@code /write <path> <text>}: a plan, a {@code tool_call} (kind edit), a {@code
 *       session/request_permission}, and on approval a real write of the file (relative to the
 *       session cwd) reported by {@code tool_call_update} with a diff; in mode {@code plan} it only
 *       plans;
 *   <li>{@code /run <command>}: a {@code tool_call} (kind execute), a permission request, and on
 *       approval {@code sh -c command} in the session cwd, its output in the {@code
 *       tool_call_update};
 *   <li>{@code /slow <n>}: n chunks 100 ms apart, stopping with {@code cancelled} on {@code
 *       session/cancel};
 *   <li>{@code /burst <n>}: n chunks as fast as possible (the benchmark's event rate);
 *   <li>{@code /crash [code]}: the process exits (default code 3) in the middle of the turn;
 *   <li>{@code /hang}: the turn never ends.
 * </ul>
 *
 * <p>stdout carries only protocol lines; diagnostics go to stderr.
 */
public final class OfflineAgent {

  public static final String NAME = "foundry-offline-agent";
  public static final String VERSION = "1";
  static final List<String> MODES = List.of("default", "plan");
  static final List<String> MODELS = List.of("offline", "offline-fast");

  private final ObjectMapper json = new ObjectMapper();
  private final BufferedReader in;
  private final PrintStream out;
  private final Map<String, SessionState> sessions = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<JsonNode>> awaitingClient = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final ExecutorService turns =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "offline-agent-turn");
            t.setDaemon(true);
            return t;
          });

  OfflineAgent(BufferedReader in, PrintStream out) {
    this.in = in;
    this.out = out;
  }

  public static void main(String[] args) throws IOException {
    PrintStream protocolOut = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    // Nothing else may write to stdout: it is the protocol channel.
    System.setOut(System.err);
    new OfflineAgent(
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
            protocolOut)
        .run();
    // stdin closed: the server dropped us (DELETE or shutdown).
    System.exit(0);
  }

  void run() throws IOException {
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode message;
      try {
        message = json.readTree(line);
      } catch (IOException e) {
        System.err.println(NAME + ": ignoring a line that is not JSON");
        continue;
      }
      try {
        dispatch(message);
      } catch (RuntimeException e) {
        e.printStackTrace();
        if (message.hasNonNull("id") && message.has("method")) {
          sendError(message.get("id"), -32603, "internal error: " + e.getMessage());
        }
      }
    }
  }

  private void dispatch(JsonNode message) {
    JsonNode id = message.get("id");
    String method = message.path("method").asText(null);
    JsonNode params = message.path("params");
    if (method == null) {
      // A response to one of our requests (a permission decision).
      CompletableFuture<JsonNode> waiting = id == null ? null : awaitingClient.remove(id.asText());
      if (waiting != null) {
        waiting.complete(message);
      }
      return;
    }
    boolean isRequest = id != null && !id.isNull();
    switch (method) {
      case "initialize":
        sendResult(id, initializeResult());
        break;
      case "session/new":
        newSession(id, params);
        break;
      case "session/prompt":
        SessionState session = session(id, params);
        if (session != null) {
          session.cancelled = false;
          turns.execute(() -> new OfflineTurn(this, session, id, params).run());
        }
        break;
      case "session/cancel":
        SessionState cancelled = sessions.get(params.path("sessionId").asText());
        if (cancelled != null) {
          cancelled.cancelled = true;
        }
        break;
      case "session/set_mode":
        setMode(id, params);
        break;
      case "session/set_config_option":
        setConfigOption(id, params, params.path("configId").asText(), params.path("value"));
        break;
      case "session/set_model":
        setConfigOption(id, params, "model", params.path("modelId"));
        break;
      default:
        if (isRequest) {
          sendError(id, -32601, "Method not found: " + method);
        }
    }
  }

  private ObjectNode initializeResult() {
    ObjectNode result = json.createObjectNode();
    result.put("protocolVersion", 1);
    ObjectNode capabilities = result.putObject("agentCapabilities");
    capabilities.put("loadSession", false);
    capabilities.putObject("promptCapabilities").put("image", false).put("embeddedContext", false);
    result.putArray("authMethods");
    result.putObject("agentInfo").put("name", NAME).put("version", VERSION);
    return result;
  }

  private void newSession(JsonNode id, JsonNode params) {
    String cwd = params.path("cwd").asText("");
    if (!cwd.startsWith("/") || !Files.isDirectory(Path.of(cwd))) {
      sendError(id, -32602, "cwd must be an existing absolute directory: " + cwd);
      return;
    }
    SessionState session =
        new SessionState("offline-" + UUID.randomUUID().toString().substring(0, 8), Path.of(cwd));
    sessions.put(session.id, session);
    ObjectNode result = json.createObjectNode();
    result.put("sessionId", session.id);
    ObjectNode modes = result.putObject("modes");
    modes.put("currentModeId", session.mode);
    ArrayNode available = modes.putArray("availableModes");
    available.addObject().put("id", "default").put("name", "Default");
    available.addObject().put("id", "plan").put("name", "Plan only");
    result.set("configOptions", configOptions(session));
    sendResult(id, result);
    ObjectNode commands = json.createObjectNode();
    commands.put("sessionUpdate", "available_commands_update");
    ArrayNode list = commands.putArray("availableCommands");
    command(list, "write", "Write a file in the working directory", "<path> <text>");
    command(list, "run", "Run a shell command in the working directory", "<command>");
    command(list, "slow", "Stream n chunks slowly (cancel it)", "<n>");
    command(list, "burst", "Stream n chunks as fast as possible", "<n>");
    command(list, "crash", "Exit the agent process", "[code]");
    command(list, "hang", "Never finish the turn", null);
    sendUpdate(session.id, commands);
  }

  private void command(ArrayNode list, String name, String description, String hint) {
    ObjectNode c = list.addObject().put("name", name).put("description", description);
    if (hint != null) {
      c.putObject("input").put("hint", hint);
    }
  }

  private ArrayNode configOptions(SessionState session) {
    ArrayNode options = json.createArrayNode();
    ObjectNode model = options.addObject();
    model.put("id", "model").put("name", "Model").put("category", "model").put("type", "select");
    model.put("currentValue", session.model);
    ArrayNode choices = model.putArray("options");
    for (String m : MODELS) {
      choices.addObject().put("value", m).put("name", m);
    }
    return options;
  }

  private void setMode(JsonNode id, JsonNode params) {
    SessionState session = session(id, params);
    if (session == null) {
      return;
    }
    String modeId = params.path("modeId").asText();
    if (!MODES.contains(modeId)) {
      sendError(id, -32602, "unknown mode: " + modeId);
      return;
    }
    session.mode = modeId;
    sendResult(id, json.createObjectNode());
    sendUpdate(
        session.id,
        json.createObjectNode()
            .put("sessionUpdate", "current_mode_update")
            .put("currentModeId", modeId));
  }

  private void setConfigOption(JsonNode id, JsonNode params, String configId, JsonNode value) {
    SessionState session = session(id, params);
    if (session == null) {
      return;
    }
    if (!"model".equals(configId) || !MODELS.contains(value.asText())) {
      sendError(id, -32602, "unknown config option or value: " + configId + "=" + value);
      return;
    }
    session.model = value.asText();
    ObjectNode result = json.createObjectNode();
    result.set("configOptions", configOptions(session));
    sendResult(id, result);
    ObjectNode update = json.createObjectNode().put("sessionUpdate", "config_option_update");
    update.set("configOptions", configOptions(session));
    sendUpdate(session.id, update);
  }

  private SessionState session(JsonNode id, JsonNode params) {
    SessionState session = sessions.get(params.path("sessionId").asText());
    if (session == null && id != null) {
      sendError(id, -32002, "session not found: " + params.path("sessionId").asText());
    }
    return session;
  }

  // ---- used by OfflineTurn -------------------------------------------------------------------

  ObjectMapper json() {
    return json;
  }

  /** Sends a request to the client and returns the future of its response envelope. */
  CompletableFuture<JsonNode> requestFromClient(String method, JsonNode params) {
    String id = "offline-req-" + ids.incrementAndGet();
    CompletableFuture<JsonNode> response = new CompletableFuture<>();
    awaitingClient.put(id, response);
    ObjectNode message = json.createObjectNode().put("jsonrpc", "2.0").put("id", id);
    message.put("method", method);
    message.set("params", params);
    send(message);
    return response;
  }

  void sendUpdate(String sessionId, ObjectNode update) {
    ObjectNode message = json.createObjectNode().put("jsonrpc", "2.0");
    message.put("method", "session/update");
    message.putObject("params").put("sessionId", sessionId).set("update", update);
    send(message);
  }

  void sendResult(JsonNode id, JsonNode result) {
    ObjectNode message = json.createObjectNode().put("jsonrpc", "2.0");
    message.set("id", id);
    message.set("result", result);
    send(message);
  }

  void sendError(JsonNode id, int code, String text) {
    ObjectNode message = json.createObjectNode().put("jsonrpc", "2.0");
    message.set("id", id);
    message.putObject("error").put("code", code).put("message", text);
    send(message);
  }

  /** One line per message, flushed at once: the server forwards line by line. */
  synchronized void send(JsonNode message) {
    out.print(message.toString());
    out.print('\n');
    out.flush();
  }

  /** Flushes and ends the process, as a crashing agent would. */
  void crash(int code) {
    out.flush();
    Runtime.getRuntime().halt(code);
  }

  /** Per-session state; fields are touched by the reader and one turn thread. */
  static final class SessionState {
    final String id;
    final Path cwd;
    volatile String mode = "default";
    volatile String model = "offline";
    volatile boolean cancelled;
    final AtomicInteger toolCalls = new AtomicInteger();

    SessionState(String id, Path cwd) {
      this.id = id;
      this.cwd = cwd;
    }
  }
}
