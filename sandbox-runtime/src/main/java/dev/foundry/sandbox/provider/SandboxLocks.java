package dev.foundry.sandbox.provider;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Runs a provider's blocking work off the caller's thread, one operation at a time per sandbox id
 * (the {@link SandboxProvider} contract), operations on different sandboxes in parallel.
 */
public final class SandboxLocks {
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private final Executor executor;

  public SandboxLocks(Executor executor) {
    this.executor = executor;
  }

  /** {@code work} on {@code executor}, after every earlier operation on {@code sandboxId}. */
  public <T> CompletableFuture<T> run(String sandboxId, Supplier<T> work) {
    Object lock = locks.computeIfAbsent(sandboxId, id -> new Object());
    return CompletableFuture.supplyAsync(
        () -> {
          synchronized (lock) {
            return work.get();
          }
        },
        executor);
  }
}
