package dev.foundry.sandbox.provider;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Creates and manages sandboxes. All operations are asynchronous (they start processes or call
 * cloud APIs) and idempotent where that makes sense: stopping a stopped sandbox or destroying a
 * missing one succeeds. Operations on one sandbox id are applied one at a time.
 *
 * <p>Providers keep enough on their side (files, container labels, cloud metadata) to find every
 * sandbox again after the backend restarts: {@link #list()} and {@link #connect(String)} work
 * without any memory of earlier calls.
 */
public interface SandboxProvider {

  /** {@code local}, {@code docker}, {@code e2b}: stable, stored with the task. */
  String id();

  /** Creates and starts a sandbox; fails if one with this id exists already. */
  CompletableFuture<Sandbox> create(SandboxSpec spec);

  /**
   * Finds a sandbox again: attaches to it if it is running, resumes it (same files, same work dir)
   * if it is stopped. Fails with {@link SandboxNotFoundException} if there is none.
   */
  CompletableFuture<Sandbox> connect(String sandboxId);

  /**
   * Starts the sandbox again with {@code env} as its extra environment instead of the one it was
   * created with (a new owner's agent keys): everything running in it ends, its files stay, and
   * nothing started later sees the old environment. Fails with {@link SandboxNotFoundException} if
   * there is no such sandbox. The returned handle replaces any earlier one.
   */
  CompletableFuture<Sandbox> restart(String sandboxId, Map<String, String> env);

  /** Stops the sandbox's compute and everything running in it; keeps its files. */
  CompletableFuture<Void> stop(String sandboxId);

  /** Stops the sandbox and deletes everything it had. */
  CompletableFuture<Void> destroy(String sandboxId);

  CompletableFuture<SandboxState> state(String sandboxId);

  /** Every sandbox this provider knows, with its state: what to reattach or clean up. */
  CompletableFuture<List<SandboxSummary>> list();

  /** An entry of {@link #list()}. */
  record SandboxSummary(String sandboxId, SandboxState state) {}
}
