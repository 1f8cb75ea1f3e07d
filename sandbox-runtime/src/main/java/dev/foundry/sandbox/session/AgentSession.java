package dev.foundry.sandbox.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.sandbox.acp.AcpConnection;
import dev.foundry.sandbox.acp.AcpConnectionOptions;
import dev.foundry.sandbox.acp.AcpErrorException;
import dev.foundry.sandbox.acp.AcpListener;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentException;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ACP session with one agent in a sandbox. Each session has its own ACP instance (its own agent
 * process), so one agent crashing or hanging never takes another session with it.
 *
 * <pre>{@code
 * AgentSession session = AgentSession.open(client, AgentSessionOptions.of("mock", workDir)
 *     .withPermissions(PermissionHandler.allowOnce())
 *     .withListener(update -> hub.publish(update))).join();
 * session.prompt("fix the failing test").result()
 *     .thenAccept(turn -> log.info("turn ended: {}", turn.stopReason()));
 * }</pre>
 *
 * <p>One turn at a time, as ACP prescribes: {@link #prompt} while a turn runs fails with {@link
 * IllegalStateException}.
 */
public final class AgentSession implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AgentSession.class);

  /** ACP protocol version this client speaks. */
  public static final int PROTOCOL_VERSION = 1;

  private final AcpConnection connection;
  private final AgentSessionOptions options;
  private final List<SessionListener> listeners = new CopyOnWriteArrayList<>();
  private final Set<CompletableFuture<PermissionDecision>> openPermissions =
      ConcurrentHashMap.newKeySet();
  private volatile String sessionId;
  private volatile JsonNode sessionResult;
  private volatile AgentTurn currentTurn;

  /** Updates an agent sent before its session/new answer (only touched on the dispatcher). */
  private final List<JsonNode> early = new java.util.ArrayList<>();

  private AgentSession(AcpConnection connection, AgentSessionOptions options) {
    this.connection = connection;
    this.options = options;
    if (options.listener() != null) {
      listeners.add(options.listener());
    }
  }

  /** Opens a session on a fresh ACP instance: {@code initialize}, then {@code session/new}. */
  public static CompletableFuture<AgentSession> open(
      SandboxAgentClient client, AgentSessionOptions options) {
    return open(client, options, AcpConnectionOptions.forAgent(options.agent()));
  }

  /** As {@link #open(SandboxAgentClient, AgentSessionOptions)} with explicit ACP options. */
  public static CompletableFuture<AgentSession> open(
      SandboxAgentClient client, AgentSessionOptions options, AcpConnectionOptions acpOptions) {
    SessionHolder holder = new SessionHolder();
    AcpConnectionOptions effective =
        acpOptions.withRequestTimeout(options.requestTimeout()).withListener(holder);
    return client
        .openAcp(effective, initializeParams())
        .thenCompose(
            connection -> {
              AgentSession session = new AgentSession(connection, options);
              holder.session = session;
              connection.onAgentRequest(session::agentRequest);
              ObjectNode params = SandboxAgentHttp.JSON.createObjectNode();
              params.put("cwd", options.cwd());
              params.putArray("mcpServers");
              return connection
                  .request("session/new", params)
                  .thenApply(
                      result -> {
                        String id = result.path("sessionId").asText(null);
                        if (id == null) {
                          // The stock mock only echoes; it never creates a session.
                          throw new SandboxAgentException(
                              "agent '"
                                  + options.agent()
                                  + "' answered session/new without a sessionId: "
                                  + result);
                        }
                        session.sessionResult = result;
                        session.sessionCreated(id);
                        return session;
                      })
                  .whenComplete(
                      (s, failure) -> {
                        if (failure != null) {
                          connection.closeAsync();
                        }
                      });
            });
  }

  public String sessionId() {
    return sessionId;
  }

  public String serverId() {
    return connection.serverId();
  }

  public String agent() {
    return options.agent();
  }

  public String cwd() {
    return options.cwd();
  }

  /** The agent's {@code initialize} answer: protocol version, capabilities, agent info. */
  public JsonNode agentInfo() {
    return connection.initializeResult();
  }

  /** The {@code session/new} answer: may carry {@code modes} and {@code configOptions}. */
  public JsonNode sessionInfo() {
    return sessionResult;
  }

  public boolean isOpen() {
    return connection.isOpen();
  }

  /** The underlying ACP instance, for raw methods the session does not wrap. */
  public AcpConnection connection() {
    return connection;
  }

  public void addListener(SessionListener listener) {
    listeners.add(listener);
  }

  public void removeListener(SessionListener listener) {
    listeners.remove(listener);
  }

  public AgentTurn prompt(String text) {
    return prompt(List.of(ContentBlock.text(text)), null);
  }

  public AgentTurn prompt(String text, SessionListener turnListener) {
    return prompt(List.of(ContentBlock.text(text)), turnListener);
  }

  /**
   * Starts a turn and returns at once; the turn streams updates and ends with a stop reason. {@code
   * turnListener} (may be null) receives only this turn's updates.
   */
  public AgentTurn prompt(List<ContentBlock> prompt, SessionListener turnListener) {
    AgentTurn turn = new AgentTurn(this, turnListener);
    synchronized (this) {
      if (connection.isOpen()) {
        if (currentTurn != null) {
          throw new IllegalStateException("a turn is already running in session " + sessionId);
        }
        currentTurn = turn;
      } // else the request below fails the turn with the reason the session ended
    }
    ObjectNode params = SandboxAgentHttp.JSON.createObjectNode();
    params.put("sessionId", sessionId);
    params.set("prompt", SandboxAgentHttp.JSON.valueToTree(prompt));
    connection
        .request("session/prompt", params, options.promptTimeout())
        .whenComplete(
            (result, failure) -> {
              synchronized (this) {
                if (currentTurn == turn) {
                  currentTurn = null;
                }
              }
              if (failure != null) {
                turn.fail(unwrap(failure));
              } else {
                turn.finish(result.path("stopReason").asText("end_turn"));
              }
            });
    return turn;
  }

  /** The running turn, if any. */
  public AgentTurn currentTurn() {
    return currentTurn;
  }

  /**
   * Asks the agent to stop the running turn ({@code session/cancel}); open permission requests are
   * answered cancelled, as ACP requires. The turn then ends with {@code CANCELLED}.
   */
  public CompletableFuture<Void> cancel() {
    for (CompletableFuture<PermissionDecision> open : List.copyOf(openPermissions)) {
      open.complete(PermissionDecision.cancelled());
    }
    return connection.notify("session/cancel", Map.of("sessionId", sessionId));
  }

  /** {@code session/set_mode}; mode ids come from {@link #sessionInfo()} {@code modes}. */
  public CompletableFuture<JsonNode> setMode(String modeId) {
    return connection.request("session/set_mode", Map.of("sessionId", sessionId, "modeId", modeId));
  }

  /** {@code session/set_config_option}; ids come from the agent's config options. */
  public CompletableFuture<JsonNode> setConfigOption(String configId, String value) {
    return connection.request(
        "session/set_config_option",
        Map.of("sessionId", sessionId, "configId", configId, "value", value));
  }

  /** Switches the model, the way Foundry does it: the {@code model} config option. */
  public CompletableFuture<JsonNode> setModel(String modelId) {
    return setConfigOption("model", modelId);
  }

  /** Closes with a bounded wait; see {@link #closeAsync()}. */
  @Override
  public void close() {
    closeAsync()
        .orTimeout(connection.options().deleteWait().toMillis() + 5000, TimeUnit.MILLISECONDS)
        .join();
  }

  /**
   * Ends the session: cancels a running turn, then closes the ACP instance (the agent process
   * exits). Never fails; a dead agent is already closed.
   */
  public CompletableFuture<Void> closeAsync() {
    CompletableFuture<Void> cancelled =
        currentTurn != null && connection.isOpen()
            ? cancel().exceptionally(e -> null)
            : CompletableFuture.completedFuture(null);
    return cancelled.thenCompose(v -> connection.closeAsync());
  }

  // ---- from the connection --------------------------------------------------------------------

  /** Runs on the dispatcher, so no update can slip between the id and the early ones. */
  private void sessionCreated(String id) {
    sessionId = id;
    for (JsonNode params : early) {
      notificationArrived("session/update", params);
    }
    early.clear();
  }

  private void notificationArrived(String method, JsonNode params) {
    if (!"session/update".equals(method)) {
      return;
    }
    if (sessionId == null) {
      early.add(params);
      return;
    }
    if (!params.path("sessionId").asText().equals(sessionId)) {
      return;
    }
    SessionUpdate update = SessionUpdate.parse(params.path("update"));
    AgentTurn turn = currentTurn;
    if (turn != null) {
      turn.updateArrived(update);
    }
    for (SessionListener l : listeners) {
      l.onUpdate(update);
    }
  }

  private void connectionClosed(Throwable cause) {
    for (SessionListener l : listeners) {
      l.onClosed(cause);
    }
    AgentTurn turn;
    synchronized (this) {
      turn = currentTurn;
      currentTurn = null;
    }
    if (turn != null && cause != null) {
      turn.fail(cause);
    }
  }

  private CompletableFuture<JsonNode> agentRequest(String method, JsonNode params) {
    if (!"session/request_permission".equals(method)) {
      return AcpConnection.DEFAULT_REQUEST_HANDLER.handle(method, params).toCompletableFuture();
    }
    PermissionRequest request;
    try {
      request = SandboxAgentHttp.JSON.treeToValue(params, PermissionRequest.class);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(
          AcpErrorException.of(AcpErrorException.INVALID_PARAMS, "bad permission request"));
    }
    CompletableFuture<PermissionDecision> decision = new CompletableFuture<>();
    openPermissions.add(decision);
    try {
      options
          .permissions()
          .decide(request)
          .whenComplete(
              (d, e) -> {
                if (e != null) {
                  log.warn("permission handler failed; answering cancelled", e);
                  decision.complete(PermissionDecision.cancelled());
                } else {
                  decision.complete(d);
                }
              });
    } catch (RuntimeException e) {
      log.warn("permission handler failed; answering cancelled", e);
      decision.complete(PermissionDecision.cancelled());
    }
    return decision
        .whenComplete((d, e) -> openPermissions.remove(decision))
        .thenApply(PermissionDecision::toResult);
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static ObjectNode initializeParams() {
    ObjectNode params = SandboxAgentHttp.JSON.createObjectNode();
    params.put("protocolVersion", PROTOCOL_VERSION);
    // No fs/terminal capabilities: the agent works in the sandbox itself, not through us.
    ObjectNode capabilities = params.putObject("clientCapabilities");
    capabilities.putObject("fs").put("readTextFile", false).put("writeTextFile", false);
    capabilities.put("terminal", false);
    params.putObject("clientInfo").put("name", "foundry-jvm").put("version", "0.1.0");
    return params;
  }

  /**
   * Routes connection events to the session, which exists only after {@code initialize}: events
   * that arrive before are not session updates, so they can be dropped.
   */
  private static final class SessionHolder implements AcpListener {
    volatile AgentSession session;

    @Override
    public void onNotification(String method, JsonNode params) {
      AgentSession s = session;
      if (s != null) {
        s.notificationArrived(method, params);
      }
    }

    @Override
    public void onClosed(Throwable cause) {
      AgentSession s = session;
      if (s != null) {
        s.connectionClosed(cause);
      }
    }
  }
}
