package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.rest.RequestBodies.StartProcess;
import dev.foundry.backend.http.rest.Responses.ProcessOutput;
import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.sandbox.process.ProcessInfo;
import dev.foundry.sandbox.process.ProcessLogEntry;
import dev.foundry.shared.sandbox.SandboxView;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * {@code .../tasks/{taskId}/sandbox}: the task's sandbox and its processes. The router has resolved
 * the task in the path's organization; a task without a sandbox (or a backend that runs none)
 * answers 404 {@code sandbox_not_found}.
 */
final class SandboxApi {
  private final DurableRuntime runtime;

  SandboxApi(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  CompletionStage<SandboxView> sandbox(Call call) {
    return ref(call)
        .thenCompose(ref -> ref.queryIfExists(new SandboxProtocol.GetSandbox()))
        .thenApply(
            view -> {
              if (view == null) {
                throw noSandbox();
              }
              return view;
            });
  }

  /** Live from the sandbox's server: status, pid and exit code as it knows them now. */
  CompletionStage<List<ProcessInfo>> processes(Call call) {
    return ref(call)
        .thenCompose(ref -> ref.query(new SandboxProtocol.ListProcesses()))
        .thenCompose(live -> live)
        .exceptionally(failure -> rethrowNotAttached(failure));
  }

  CompletionStage<ProcessInfo> startProcess(Call call) {
    StartProcess body = call.body(StartProcess.class);
    return ref(call)
        .thenCompose(
            ref ->
                ref.ask(
                    new SandboxProtocol.StartProcess(
                        body.command(),
                        body.args() == null ? List.of() : body.args(),
                        body.cwd())));
  }

  CompletionStage<ProcessInfo> stopProcess(Call call) {
    return ref(call)
        .thenCompose(ref -> ref.ask(new SandboxProtocol.StopProcess(call.path("processId"))));
  }

  CompletionStage<List<ProcessOutput>> processLogs(Call call) {
    return ref(call)
        .thenCompose(ref -> ref.query(new SandboxProtocol.ProcessLogs(call.path("processId"))))
        .thenCompose(live -> live)
        .thenApply(entries -> entries.stream().map(SandboxApi::output).toList())
        .exceptionally(failure -> rethrowNotAttached(failure));
  }

  private static ProcessOutput output(ProcessLogEntry e) {
    return new ProcessOutput(e.sequence(), e.stream(), e.timestampMs(), e.text());
  }

  /** The task's sandbox actor, never created by a read: a task without one is a 404. */
  private CompletionStage<DurableRef<SandboxProtocol.Command<?>>> ref(Call call) {
    if (!runtime.runs(SandboxProtocol.TYPE)) {
      return CompletableFuture.failedFuture(noSandbox());
    }
    DurableRef<SandboxProtocol.Command<?>> ref =
        runtime.get(SandboxProtocol.TYPE, SandboxProtocol.key(call.org(), call.task().taskId()));
    return ref.queryIfExists(new SandboxProtocol.GetSandbox())
        .thenApply(
            view -> {
              if (view == null) {
                throw noSandbox();
              }
              return ref;
            });
  }

  /** A sandbox this process has not reattached yet (just after a restart) is a 409, not a 500. */
  private static <T> T rethrowNotAttached(Throwable failure) {
    Throwable cause = ApiErrors.unwrap(failure);
    if (cause instanceof IllegalStateException e
        && String.valueOf(e.getMessage()).contains("not attached")) {
      throw new ApiException(
          StatusCodes.CONFLICT, "sandbox_not_attached", e.getMessage() + "; retry in a moment");
    }
    throw Failures.rethrow(failure);
  }

  private static ApiException noSandbox() {
    return new ApiException(
        StatusCodes.NOT_FOUND, "sandbox_not_found", "the task has no sandbox (yet)");
  }
}
