package dev.foundry.sandbox.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.sandbox.acp.AcpConnection;
import dev.foundry.sandbox.acp.AcpConnectionOptions;
import dev.foundry.sandbox.fs.SandboxFiles;
import dev.foundry.sandbox.process.SandboxProcesses;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client for one sandbox-agent 0.4.x server. Thread-safe; every method is asynchronous, carries a
 * client-side deadline, and completes its future on the executor given to the builder.
 *
 * <pre>{@code
 * var client = SandboxAgentClient.builder(endpoint).executor(blockingIoExecutor).build();
 * client.processes().run(ProcessRequest.of("git", "status").cwd(workDir)).join();
 * }</pre>
 */
public final class SandboxAgentClient implements AutoCloseable {

  private final SandboxAgentHttp http;
  private final ExecutorService ownedExecutor;
  private final SandboxProcesses processes;
  private final SandboxFiles files;

  private final ClientScope scope;

  private SandboxAgentClient(
      SandboxAgentHttp http, ExecutorService ownedExecutor, ClientScope scope) {
    this.http = http;
    this.ownedExecutor = ownedExecutor;
    this.scope = scope;
    this.processes = new SandboxProcesses(http, scope);
    this.files = new SandboxFiles(http);
  }

  public static Builder builder(SandboxAgentEndpoint endpoint) {
    return new Builder(endpoint);
  }

  public SandboxAgentEndpoint endpoint() {
    return http.endpoint();
  }

  public SandboxAgentHttp http() {
    return http;
  }

  /** Completes normally when {@code GET /v1/health} answers {@code {"status":"ok"}}. */
  public CompletableFuture<Void> health() {
    return http.sendForJson("health", http.request("/v1/health").GET().build())
        .thenAccept(
            body -> {
              if (!"ok".equals(body.path("status").asText())) {
                throw new SandboxAgentException("health: unexpected answer " + body);
              }
            });
  }

  /** Health with its own (short) deadline, for polling a server that is starting. */
  public CompletableFuture<Void> health(Duration timeout) {
    return http.send("health", http.request("/v1/health").timeout(timeout).GET().build())
        .thenAccept(r -> {});
  }

  /** All agents with their install state; {@code withConfig} adds versions and config options. */
  public CompletableFuture<List<AgentInfo>> agents(boolean withConfig) {
    String path = withConfig ? "/v1/agents?config=true" : "/v1/agents";
    return http.sendForJson("list agents", http.request(path).GET().build(), AgentList.class)
        .thenApply(AgentList::agents);
  }

  public CompletableFuture<AgentInfo> agent(String agentId, boolean withConfig) {
    String path = "/v1/agents/" + agentId + (withConfig ? "?config=true" : "");
    return http.sendForJson(
        "get agent " + agentId, http.request(path).GET().build(), AgentInfo.class);
  }

  /**
   * Installs an agent. Real agents download from the internet (fails offline with {@link
   * AgentUnavailableException}); {@code mock} is built in but is not installed lazily, so it must
   * be installed before its first ACP use.
   */
  public CompletableFuture<AgentInstallation> installAgent(String agentId, boolean reinstall) {
    HttpRequest request =
        http.request("/v1/agents/" + agentId + "/install")
            // Installs download; they may take far longer than an ordinary call.
            .timeout(http.requestTimeout().multipliedBy(10))
            .header("Content-Type", "application/json")
            .POST(SandboxAgentHttp.jsonBody(reinstall ? new Reinstall(true) : new Reinstall(null)))
            .build();
    return http.sendForJson("install agent " + agentId, request, AgentInstallation.class);
  }

  /** Processes ({@code /v1/processes*}): run to completion, background, logs, input, signals. */
  public SandboxProcesses processes() {
    return processes;
  }

  /** Files ({@code /v1/fs/*}): raw bytes, stat, entries, mkdir, move, delete, tar upload. */
  public SandboxFiles files() {
    return files;
  }

  /**
   * Opens an ACP instance: the first POST ({@code initialize}, with {@code ?agent=}) spawns the
   * agent process, then the SSE stream is attached. See {@link AcpConnection}.
   */
  public CompletableFuture<AcpConnection> openAcp(
      AcpConnectionOptions options, JsonNode initParams) {
    AcpConnectionOptions effective =
        scope == null ? options : options.withServerId(scope.serverId(options.serverId()));
    return AcpConnection.open(http, effective, initParams);
  }

  /**
   * The ACP instances alive on the server ({@code GET /v1/acp}); with a scope, only the sandbox's.
   */
  public CompletableFuture<List<AcpServerInfo>> acpServers() {
    return http.sendForJson(
            "list acp servers", http.request("/v1/acp").GET().build(), AcpServers.class)
        .thenApply(
            list ->
                scope == null
                    ? list.servers()
                    : list.servers().stream()
                        .filter(s -> s.serverId().startsWith(scope.acpPrefix()))
                        .toList());
  }

  /** The sandbox this client is confined to on a shared server, if any. */
  public java.util.Optional<ClientScope> scope() {
    return java.util.Optional.ofNullable(scope);
  }

  @Override
  public void close() {
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  /** An entry of {@code GET /v1/acp}. */
  public record AcpServerInfo(String serverId, String agent, long createdAtMs) {}

  private record AcpServers(List<AcpServerInfo> servers) {
    AcpServers {
      servers = servers == null ? List.of() : servers;
    }
  }

  private record AgentList(List<AgentInfo> agents) {
    AgentList {
      agents = agents == null ? List.of() : agents;
    }
  }

  @com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  private record Reinstall(Boolean reinstall) {}

  /** Builder; only the endpoint is required. */
  public static final class Builder {
    private final SandboxAgentEndpoint endpoint;
    private Executor executor;
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private ClientScope scope;

    private Builder(SandboxAgentEndpoint endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    /**
     * Where responses and callbacks run. Give the backend's executor for blocking I/O; without one,
     * the client creates (and owns) a small cached pool of daemon threads.
     */
    public Builder executor(Executor executor) {
      this.executor = executor;
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    /** The deadline of an ordinary call (not of ACP prompts and process runs, which set theirs). */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
      return this;
    }

    /** Confines the client to one sandbox of a shared server ({@link ClientScope}). */
    public Builder scope(ClientScope scope) {
      this.scope = scope;
      return this;
    }

    public SandboxAgentClient build() {
      ExecutorService owned = null;
      Executor effective = executor;
      if (effective == null) {
        owned = Executors.newCachedThreadPool(daemonThreads("sandbox-agent-client"));
        effective = owned;
      }
      return new SandboxAgentClient(
          new SandboxAgentHttp(endpoint, connectTimeout, requestTimeout, effective), owned, scope);
    }
  }

  /** Named daemon threads, so a forgotten client never keeps a JVM alive. */
  public static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
