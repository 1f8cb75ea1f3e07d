package dev.foundry.sandbox.acp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.sandbox.client.AgentProcessExitedException;
import dev.foundry.sandbox.client.SandboxAgentException;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import dev.foundry.sandbox.client.SandboxAgentTimeoutException;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ACP instance on a sandbox-agent server: one agent process, addressed by a client-chosen
 * {@code serverId}. Requests go out as HTTP POSTs; everything the agent writes comes back on the
 * SSE stream, which this class keeps attached.
 *
 * <p>What it does about sandbox-agent 0.4.2 (spec: sandbox-agent-api.md §5.7, §5.8):
 *
 * <ul>
 *   <li>every POST has a client deadline: a request that times out on the server is never answered;
 *   <li>a response is taken from the SSE stream when it is attached (the POST body is the
 *       fallback), so a caller that reacts to a turn's end has already seen the turn's last update;
 *   <li>{@code _adapter/agent_exited} fails all pending requests at once, instead of after the
 *       server's 120 s timeout, and the connection refuses further requests;
 *   <li>{@link #closeAsync()} sends the DELETE with a short deadline and treats the missing answer
 *       as success; the agent process only exits once the client gives up on that request.
 * </ul>
 *
 * <p>Listener calls and the completion of request futures happen one at a time, in stream order, on
 * the client's executor.
 */
public final class AcpConnection implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AcpConnection.class);

  /**
   * How long a POST answer waits for its copy on the SSE stream (about 6 ms behind on loopback)
   * before it is used on its own.
   */
  private static final Duration SSE_GRACE = Duration.ofSeconds(1);

  /** What the SDK answers when nobody handles a permission request; others are unsupported. */
  public static final AgentRequestHandler DEFAULT_REQUEST_HANDLER =
      (method, params) -> {
        if ("session/request_permission".equals(method)) {
          ObjectNode result = SandboxAgentHttp.JSON.createObjectNode();
          result.putObject("outcome").put("outcome", "cancelled");
          return CompletableFuture.completedFuture(result);
        }
        return CompletableFuture.failedFuture(
            AcpErrorException.of(
                AcpErrorException.METHOD_NOT_FOUND, "Method not found: " + method));
      };

  private enum State {
    OPEN,
    FAILED,
    CLOSED
  }

  private final SandboxAgentHttp http;
  private final AcpConnectionOptions options;
  private final SequentialExecutor dispatcher;
  private final AcpEventStream stream;
  private final Map<String, PendingRequest> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong();
  private final List<AcpListener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  private volatile AgentRequestHandler requestHandler = DEFAULT_REQUEST_HANDLER;
  private volatile State state = State.OPEN;
  private volatile Throwable failure;
  private volatile boolean instanceCreated;
  private volatile boolean streamAttached;
  private volatile JsonNode initializeResult;

  private AcpConnection(SandboxAgentHttp http, AcpConnectionOptions options) {
    this.http = http;
    this.options = options;
    this.dispatcher = new SequentialExecutor(http.executor());
    this.stream =
        new AcpEventStream(
            http,
            options.serverId(),
            options.streamIdleTimeout(),
            this::eventArrived,
            this::streamFailed);
    if (options.listener() != null) {
      listeners.add(options.listener());
    }
  }

  /**
   * Creates the instance with {@code initialize} (the POST that carries {@code ?agent=} and spawns
   * the agent), then attaches the SSE stream; the stream can only be opened after that first POST.
   */
  public static CompletableFuture<AcpConnection> open(
      SandboxAgentHttp http, AcpConnectionOptions options, JsonNode initializeParams) {
    AcpConnection connection = new AcpConnection(http, options);
    return connection
        .request("initialize", initializeParams, options.requestTimeout())
        .thenCompose(
            result -> {
              connection.initializeResult = result;
              return connection.stream.start();
            })
        .thenApply(
            attached -> {
              connection.streamAttached = true;
              return connection;
            })
        .whenComplete(
            (c, failure) -> {
              if (failure != null) {
                connection.closeAsync();
              }
            });
  }

  public String serverId() {
    return options.serverId();
  }

  public String agent() {
    return options.agent();
  }

  public AcpConnectionOptions options() {
    return options;
  }

  /** The agent's answer to {@code initialize} (protocol version, capabilities, auth methods). */
  public JsonNode initializeResult() {
    return initializeResult;
  }

  /** True until the agent died, the stream was lost, or the connection was closed. */
  public boolean isOpen() {
    return state == State.OPEN;
  }

  /** Why the connection ended, if it did not end by {@link #closeAsync()}. */
  public Throwable failure() {
    return failure;
  }

  /** Id of the last SSE event received; a new stream resumes after it. */
  public long lastEventId() {
    return stream.lastEventId();
  }

  public void addListener(AcpListener listener) {
    listeners.add(listener);
  }

  public void removeListener(AcpListener listener) {
    listeners.remove(listener);
  }

  /**
   * Replaces the handler for the agent's own requests (default: {@link #DEFAULT_REQUEST_HANDLER}).
   */
  public void onAgentRequest(AgentRequestHandler handler) {
    this.requestHandler = handler == null ? DEFAULT_REQUEST_HANDLER : handler;
  }

  /** Completes when the connection is closed or failed; never fails. */
  public CompletableFuture<Void> whenClosed() {
    return closed.copy();
  }

  /** A request with the default deadline. */
  public CompletableFuture<JsonNode> request(String method, Object params) {
    return request(method, params, options.requestTimeout());
  }

  /**
   * Sends a JSON-RPC request and completes with its {@code result}; an error answer fails it with
   * {@link AcpErrorException}, no answer within {@code timeout} with {@link
   * SandboxAgentTimeoutException}, a dead agent with {@link AgentProcessExitedException}.
   */
  public CompletableFuture<JsonNode> request(String method, Object params, Duration timeout) {
    if (state != State.OPEN) {
      return CompletableFuture.failedFuture(notOpen(method));
    }
    long id = nextId.getAndIncrement();
    String key = Long.toString(id);
    ObjectNode envelope = envelope();
    envelope.put("id", id);
    envelope.put("method", method);
    envelope.set("params", SandboxAgentHttp.JSON.valueToTree(params));

    PendingRequest request = new PendingRequest(method, new CompletableFuture<>());
    pending.put(key, request);
    request.result.whenComplete((r, e) -> pending.remove(key));

    String operation = "ACP " + method + " on " + options.serverId();
    request.post =
        post(envelope, timeout, operation)
            .whenComplete(
                (response, postFailure) -> {
                  if (postFailure != null) {
                    request.result.completeExceptionally(
                        describePostFailure(method, timeout, postFailure));
                    return;
                  }
                  JsonNode answer = SandboxAgentHttp.readTree(operation, response.body());
                  if (streamAttached && state == State.OPEN) {
                    CompletableFuture.delayedExecutor(
                            SSE_GRACE.toMillis(), TimeUnit.MILLISECONDS, dispatcher)
                        .execute(() -> complete(request, answer));
                  } else {
                    dispatcher.execute(() -> complete(request, answer));
                  }
                });
    return request.result;
  }

  /** Sends a JSON-RPC notification (no answer; the server acknowledges with 202). */
  public CompletableFuture<Void> notify(String method, Object params) {
    if (state != State.OPEN) {
      return CompletableFuture.failedFuture(notOpen(method));
    }
    ObjectNode envelope = envelope();
    envelope.put("method", method);
    envelope.set("params", SandboxAgentHttp.JSON.valueToTree(params));
    return post(envelope, options.requestTimeout(), "ACP notification " + method)
        .thenAccept(r -> {});
  }

  /** Closes with a bounded wait; see {@link #closeAsync()}. */
  @Override
  public void close() {
    closeAsync().orTimeout(options.deleteWait().toMillis() + 3000, TimeUnit.MILLISECONDS).join();
  }

  /**
   * Ends the instance: stops the stream, fails pending requests, and DELETEs the instance. 0.4.2
   * never answers that DELETE for a live instance (the instance is unregistered at once, and the
   * agent exits when the request is aborted), so the deadline is expected and counts as success.
   */
  public CompletableFuture<Void> closeAsync() {
    State previous;
    synchronized (this) {
      previous = state;
      state = State.CLOSED;
    }
    if (previous == State.CLOSED) {
      return closed.copy();
    }
    stream.close();
    failPending(new SandboxAgentException("ACP connection " + options.serverId() + " closed"));
    if (!instanceCreated) {
      finishClose(previous == State.FAILED ? failure : null);
      return closed.copy();
    }
    // The server unregisters the instance at once but answers only once the agent is gone, and
    // the agent goes only when the client gives up. So give up as soon as it is unlisted.
    CompletableFuture<HttpResponse<byte[]>> deleting =
        AcpInstanceEnd.delete(http, options.serverId(), options.deleteWait());
    deleting.whenComplete(
        (response, deleteFailure) -> {
          Throwable cause = unwrap(deleteFailure);
          if (cause instanceof java.util.concurrent.CancellationException) {
            log.debug(
                "ACP {} unregistered; DELETE aborted (0.4.2 never answers it)", options.serverId());
          } else if (cause instanceof SandboxAgentTimeoutException) {
            log.debug(
                "DELETE of ACP {} unanswered after {} (known 0.4.2 behaviour); closed",
                options.serverId(),
                options.deleteWait());
          } else if (cause != null) {
            log.warn("DELETE of ACP {} failed: {}", options.serverId(), cause.toString());
          }
          finishClose(previous == State.FAILED ? failure : null);
        });
    return closed.copy();
  }

  private void finishClose(Throwable cause) {
    dispatcher.execute(
        () -> {
          if (cause == null) {
            for (AcpListener l : listeners) {
              l.onClosed(null);
            }
          }
          closed.complete(null);
        });
  }

  // ---- inbound: the SSE stream --------------------------------------------------------------

  /** Runs on the stream's thread: parse here, deliver in order on the dispatcher. */
  private void eventArrived(SseEvent event) {
    JsonNode envelope;
    try {
      envelope = SandboxAgentHttp.JSON.readTree(event.data());
    } catch (IOException e) {
      log.warn("ACP {}: ignoring SSE event {} that is not JSON", options.serverId(), event.id());
      return;
    }
    if ("_adapter/agent_exited".equals(envelope.path("method").asText())) {
      // The server closes the stream right after this event; do not try to resume it.
      stream.close();
    }
    dispatcher.execute(() -> dispatch(envelope));
  }

  private void dispatch(JsonNode envelope) {
    JsonNode id = envelope.get("id");
    String method = envelope.hasNonNull("method") ? envelope.get("method").asText() : null;
    if (method != null && id != null && !id.isNull()) {
      answerAgentRequest(id, method, envelope.path("params"));
    } else if (method != null) {
      if ("_adapter/agent_exited".equals(method)) {
        agentExited(envelope.path("params"));
      } else {
        for (AcpListener l : listeners) {
          l.onNotification(method, envelope.path("params"));
        }
      }
    } else if (id != null) {
      PendingRequest request = pending.get(id.asText());
      if (request != null) {
        complete(request, envelope);
      }
    }
  }

  private void complete(PendingRequest request, JsonNode answer) {
    if (request.result.isDone()) {
      return;
    }
    JsonNode error = answer.get("error");
    if (error != null && !error.isNull()) {
      request.result.completeExceptionally(
          new AcpErrorException(
              request.method,
              error.path("code").asInt(),
              error.path("message").asText(),
              error.get("data")));
    } else {
      request.result.complete(answer.path("result"));
    }
  }

  private void answerAgentRequest(JsonNode id, String method, JsonNode params) {
    CompletionStage<JsonNode> answer;
    try {
      answer = requestHandler.handle(method, params);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete(
        (result, handlerFailure) -> {
          if (state == State.CLOSED) {
            return;
          }
          ObjectNode response = envelope();
          response.set("id", id);
          Throwable cause = unwrap(handlerFailure);
          if (cause == null) {
            response.set(
                "result", result == null ? SandboxAgentHttp.JSON.createObjectNode() : result);
          } else {
            ObjectNode error = response.putObject("error");
            if (cause instanceof AcpErrorException) {
              error.put("code", ((AcpErrorException) cause).code());
              error.put("message", ((AcpErrorException) cause).rpcMessage());
            } else {
              log.warn("handler for agent request {} failed", method, cause);
              error.put("code", AcpErrorException.INTERNAL_ERROR);
              error.put("message", String.valueOf(cause.getMessage()));
            }
          }
          post(response, options.requestTimeout(), "ACP answer to " + method)
              .whenComplete(
                  (r, e) -> {
                    if (e != null) {
                      log.warn("could not answer agent request {}: {}", method, e.toString());
                    }
                  });
        });
  }

  private void agentExited(JsonNode params) {
    if (state != State.OPEN) {
      return; // our own close() made it exit
    }
    Integer code = params.hasNonNull("code") ? params.get("code").asInt() : null;
    List<String> waiting = new ArrayList<>();
    pending.values().forEach(p -> waiting.add(p.method));
    fail(
        new AgentProcessExitedException(
            "agent '"
                + options.agent()
                + "' of ACP server '"
                + options.serverId()
                + "' exited"
                + (code == null ? "" : " with code " + code)
                + (waiting.isEmpty() ? "" : " while " + String.join(", ", waiting) + " was pending")
                + "; open a new session to continue",
            code));
    // Unregister the dead instance; its pending POSTs would otherwise linger on the server.
    closeAsync();
  }

  private void streamFailed(Throwable cause) {
    dispatcher.execute(
        () -> {
          if (state == State.OPEN) {
            fail(
                cause instanceof SandboxAgentException
                    ? cause
                    : new SandboxAgentException(
                        "ACP event stream of " + options.serverId() + " failed", cause));
          }
        });
  }

  private void fail(Throwable cause) {
    synchronized (this) {
      if (state != State.OPEN) {
        return;
      }
      failure = cause;
      state = State.FAILED;
    }
    log.info("ACP connection {} failed: {}", options.serverId(), cause.getMessage());
    // Listeners first: whoever waits on a request then finds the listeners already told.
    for (AcpListener l : listeners) {
      l.onClosed(cause);
    }
    failPending(cause);
  }

  private void failPending(Throwable cause) {
    for (PendingRequest request : List.copyOf(pending.values())) {
      request.result.completeExceptionally(cause);
      if (request.post != null) {
        // Aborts the HTTP exchange: the server would hold it until its own timeout.
        request.post.cancel(true);
      }
    }
  }

  // ---- outbound ------------------------------------------------------------------------------

  private CompletableFuture<HttpResponse<byte[]>> post(
      ObjectNode envelope, Duration timeout, String operation) {
    String path = "/v1/acp/" + options.serverId();
    boolean first;
    synchronized (this) {
      // Only the first POST names the agent: on later ones it would silently re-create an
      // instance that died or was deleted, under the same id.
      first = !instanceCreated;
      instanceCreated = true;
    }
    if (first) {
      path = SandboxAgentHttp.path(path, SandboxAgentHttp.query("agent", options.agent()));
    }
    HttpRequest request =
        http.request(path)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .POST(SandboxAgentHttp.jsonBody(envelope))
            .build();
    CompletableFuture<HttpResponse<byte[]>> sent = http.send(operation, request);
    if (first) {
      sent.whenComplete(
          (r, e) -> {
            // A failed first POST leaves no instance (spec §5.1), so the next may name the agent.
            if (e != null && !(unwrap(e) instanceof SandboxAgentTimeoutException)) {
              synchronized (this) {
                instanceCreated = false;
              }
            }
          });
    }
    return sent;
  }

  private Throwable describePostFailure(String method, Duration timeout, Throwable postFailure) {
    Throwable cause = unwrap(postFailure);
    if (state == State.FAILED && failure != null) {
      return failure;
    }
    if (cause instanceof SandboxAgentTimeoutException || cause instanceof TimeoutException) {
      return new SandboxAgentTimeoutException(
          "ACP "
              + method
              + " on "
              + options.serverId()
              + ": no answer within "
              + timeout
              + " (sandbox-agent 0.4.2 never answers a request that timed out on its side)",
          cause);
    }
    return cause;
  }

  private SandboxAgentException notOpen(String method) {
    if (failure instanceof SandboxAgentException) {
      SandboxAgentException f = (SandboxAgentException) failure;
      if (f instanceof AgentProcessExitedException) {
        return new AgentProcessExitedException(
            "cannot send " + method + ": " + f.getMessage(),
            ((AgentProcessExitedException) f).exitCode().orElse(null));
      }
    }
    return new SandboxAgentException(
        "cannot send " + method + ": ACP connection " + options.serverId() + " is " + state,
        failure);
  }

  private static ObjectNode envelope() {
    ObjectNode envelope = SandboxAgentHttp.JSON.createObjectNode();
    envelope.put("jsonrpc", "2.0");
    return envelope;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static final class PendingRequest {
    final String method;
    final CompletableFuture<JsonNode> result;
    volatile CompletableFuture<HttpResponse<byte[]>> post;

    PendingRequest(String method, CompletableFuture<JsonNode> result) {
      this.method = method;
      this.result = result;
    }
  }
}
