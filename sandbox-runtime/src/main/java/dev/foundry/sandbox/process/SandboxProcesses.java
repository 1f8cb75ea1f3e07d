package dev.foundry.sandbox.process;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.foundry.sandbox.client.ClientScope;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The process API of one sandbox. Obtain it from {@code SandboxAgentClient.processes()}. */
public final class SandboxProcesses {

  /** The server's own default for {@code /v1/processes/run}; we send it explicitly. */
  public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofSeconds(30);

  /** Added to server-side waits: the HTTP answer comes a little after the server's deadline. */
  private static final Duration MARGIN = Duration.ofSeconds(5);

  private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

  private final SandboxAgentHttp http;
  private final ClientScope scope;

  public SandboxProcesses(SandboxAgentHttp http) {
    this(http, null);
  }

  /** With a scope (may be null): the processes of one sandbox on a shared server. */
  public SandboxProcesses(SandboxAgentHttp http, ClientScope scope) {
    this.http = http;
    this.scope = scope;
  }

  /** The request as the server gets it: in the scope's directory, with its variables. */
  private ProcessRequest scoped(ProcessRequest request) {
    if (scope == null) {
      return request;
    }
    return new ProcessRequest(
        request.command(),
        request.args(),
        scope.cwdFor(request.cwd()),
        scope.envFor(request.env()),
        request.timeout(),
        request.maxOutputBytes(),
        request.interactive(),
        request.tty());
  }

  /**
   * Runs a command to completion. A non-zero exit is a normal result, not a failure; use {@link
   * ProcessRunResult#orThrow} where it should be one.
   */
  public CompletableFuture<ProcessRunResult> run(ProcessRequest unscoped) {
    ProcessRequest request;
    try {
      request = scoped(unscoped);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    Duration timeout = request.timeout() == null ? DEFAULT_RUN_TIMEOUT : request.timeout();
    RunBody body =
        new RunBody(
            request.command(),
            request.args(),
            request.cwd(),
            request.env().isEmpty() ? null : request.env(),
            timeout.toMillis(),
            request.maxOutputBytes());
    HttpRequest httpRequest =
        http.request("/v1/processes/run")
            .timeout(timeout.plus(MARGIN))
            .header("Content-Type", "application/json")
            .POST(SandboxAgentHttp.jsonBody(body))
            .build();
    return http.sendForJson("run " + request, httpRequest, ProcessRunResult.class);
  }

  /** Starts a command in the background; it keeps running until it exits or is stopped. */
  public CompletableFuture<ProcessInfo> start(ProcessRequest unscoped) {
    ProcessRequest request;
    try {
      request = scoped(unscoped);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    StartBody body =
        new StartBody(
            request.command(),
            request.args(),
            request.cwd(),
            request.env().isEmpty() ? null : request.env(),
            request.interactive() ? Boolean.TRUE : null,
            request.tty() ? Boolean.TRUE : null);
    HttpRequest httpRequest =
        http.request("/v1/processes")
            .header("Content-Type", "application/json")
            .POST(SandboxAgentHttp.jsonBody(body))
            .build();
    return http.sendForJson("start " + request, httpRequest, ProcessInfo.class);
  }

  public CompletableFuture<ProcessInfo> get(String processId) {
    return http.sendForJson(
        "get process " + processId,
        http.request("/v1/processes/" + processId).GET().build(),
        ProcessInfo.class);
  }

  /** The server's processes; with a scope, those whose cwd is in the sandbox's directory. */
  public CompletableFuture<List<ProcessInfo>> list() {
    return http.sendForJson(
            "list processes", http.request("/v1/processes").GET().build(), ProcessList.class)
        .thenApply(
            list ->
                scope == null
                    ? list.processes()
                    : list.processes().stream().filter(p -> scope.contains(p.cwd())).toList());
  }

  /**
   * The logs so far ({@code stream} = stdout, stderr, combined or pty; null for combined), entries
   * with a sequence greater than {@code since} (0 for all).
   */
  public CompletableFuture<List<ProcessLogEntry>> logs(
      String processId, String stream, long since) {
    String path =
        SandboxAgentHttp.path(
            "/v1/processes/" + processId + "/logs",
            SandboxAgentHttp.query("stream", stream, "since", since > 0 ? since : null));
    return http.sendForJson(
            "logs of " + processId, http.request(path).GET().build(), LogsBody.class)
        .thenApply(LogsBody::decoded);
  }

  /** Writes to the stdin of an interactive process; returns the number of bytes written. */
  public CompletableFuture<Integer> input(String processId, byte[] data) {
    // Explicit base64: the server assumes base64 when no encoding is given, which would garble
    // text.
    Map<String, String> body =
        Map.of("data", Base64.getEncoder().encodeToString(data), "encoding", "base64");
    HttpRequest request =
        http.request("/v1/processes/" + processId + "/input")
            .header("Content-Type", "application/json")
            .POST(SandboxAgentHttp.jsonBody(body))
            .build();
    return http.sendForJson("input to " + processId, request)
        .thenApply(n -> n.path("bytesWritten").asInt());
  }

  public CompletableFuture<Integer> input(String processId, String text) {
    return input(processId, text.getBytes(StandardCharsets.UTF_8));
  }

  /** SIGTERM, then wait up to {@code wait} for the exit; the answer may still say running. */
  public CompletableFuture<ProcessInfo> stop(String processId, Duration wait) {
    return signal(processId, "stop", wait);
  }

  /** SIGKILL, then wait up to {@code wait}. */
  public CompletableFuture<ProcessInfo> kill(String processId, Duration wait) {
    return signal(processId, "kill", wait);
  }

  /** Forgets an exited process; a running one gives a {@code ConflictException}. */
  public CompletableFuture<Void> delete(String processId) {
    return http.send(
            "delete process " + processId,
            http.request("/v1/processes/" + processId).DELETE().build())
        .thenAccept(r -> {});
  }

  /**
   * Completes when the process has exited, polling its status (the server's follow stream never
   * signals the exit, so polling is the reliable way). Fails with a timeout after {@code timeout}.
   */
  public CompletableFuture<ProcessInfo> awaitExit(String processId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    return pollUntilExited(processId, deadline)
        .orTimeout(timeout.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS);
  }

  private CompletableFuture<ProcessInfo> pollUntilExited(String processId, long deadlineNanos) {
    return get(processId)
        .thenCompose(
            info -> {
              if (!info.running() || System.nanoTime() > deadlineNanos) {
                return CompletableFuture.completedFuture(info);
              }
              return CompletableFuture.supplyAsync(
                      () -> null,
                      CompletableFuture.delayedExecutor(
                          POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS, http.executor()))
                  .thenCompose(ignored -> pollUntilExited(processId, deadlineNanos));
            });
  }

  private CompletableFuture<ProcessInfo> signal(String processId, String action, Duration wait) {
    String path =
        SandboxAgentHttp.path(
            "/v1/processes/" + processId + "/" + action,
            SandboxAgentHttp.query("waitMs", wait.toMillis()));
    HttpRequest request =
        http.request(path)
            .timeout(wait.plus(MARGIN))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    return http.sendForJson(action + " process " + processId, request, ProcessInfo.class);
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record RunBody(
      String command,
      List<String> args,
      String cwd,
      Map<String, String> env,
      Long timeoutMs,
      Long maxOutputBytes) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record StartBody(
      String command,
      List<String> args,
      String cwd,
      Map<String, String> env,
      Boolean interactive,
      Boolean tty) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  private record ProcessList(List<ProcessInfo> processes) {
    ProcessList {
      processes = processes == null ? List.of() : processes;
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  private record LogsBody(String processId, List<WireEntry> entries) {
    List<ProcessLogEntry> decoded() {
      List<ProcessLogEntry> out = new ArrayList<>();
      if (entries != null) {
        for (WireEntry e : entries) {
          out.add(e.decode());
        }
      }
      return out;
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  private record WireEntry(
      long sequence, String stream, long timestampMs, String data, String encoding) {
    ProcessLogEntry decode() {
      byte[] bytes =
          "base64".equals(encoding)
              ? Base64.getDecoder().decode(data)
              : data.getBytes(StandardCharsets.UTF_8);
      return new ProcessLogEntry(sequence, stream, timestampMs, bytes);
    }
  }
}
