package dev.foundry.backend.task;

import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.sandbox.SandboxView;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The task's side of its sandbox: the asks that make it ready for a message. Every step is
 * idempotent on the sandbox actor (provision finds the sandbox it made, clone keeps the repository
 * it cloned, a session is created once, a message with the same id is sent once), so a task command
 * that is run again after a crash repeats the chain without doing anything twice.
 */
final class TaskSandbox {
  /**
   * Provisioning and cloning may be slow (a big repository); the task's queries go on meanwhile.
   */
  static final Duration PREPARE_TIMEOUT = Duration.ofMinutes(10);

  private static final Duration STEP_TIMEOUT = Duration.ofMinutes(1);

  private final DurableRef<SandboxProtocol.Command<?>> ref;
  private final String repoId;

  TaskSandbox(DurableRuntime runtime, String organizationId, String repoId, String taskId) {
    this.ref =
        runtime.getOrCreate(SandboxProtocol.TYPE, SandboxProtocol.key(organizationId, taskId));
    this.repoId = repoId;
  }

  DurableRef<SandboxProtocol.Command<?>> ref() {
    return ref;
  }

  /**
   * Provisions the sandbox, clones the repository on the task's branch and, when {@code owner} is
   * given, writes the owner's git credentials and identity.
   */
  CompletionStage<SandboxView> prepare(String remoteUrl, String branch, TaskOwner owner) {
    return ref.ask(new SandboxProtocol.Provision(repoId), PREPARE_TIMEOUT)
        .thenCompose(
            v -> ref.ask(new SandboxProtocol.CloneRepository(remoteUrl, branch), PREPARE_TIMEOUT))
        .thenCompose(
            repo ->
                owner == null || owner.userId() == null
                    ? CompletableFuture.<Void>completedFuture(null)
                    : ref.ask(
                        new SandboxProtocol.StoreGitCredentials(
                            owner.userId(), owner.login(), owner.email()),
                        STEP_TIMEOUT))
        .thenCompose(v -> ref.query(new SandboxProtocol.GetSandbox()));
  }

  /** Opens the session if it is not open yet, then starts the turn; completes with its id. */
  CompletionStage<String> send(String sessionId, String model, String text, String messageId) {
    return ref.ask(new SandboxProtocol.CreateSession(sessionId, null, model), STEP_TIMEOUT)
        .thenCompose(
            session ->
                ref.ask(new SandboxProtocol.SendMessage(sessionId, text, messageId), STEP_TIMEOUT));
  }
}
