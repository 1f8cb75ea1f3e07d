package dev.foundry.backend.http;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Whether this process should receive traffic: not before storage is open and migrated, not while
 * storage does not take writes, not once shutdown has begun. Load balancers read it through {@code
 * GET /v1/ready}.
 */
public final class Readiness {
  public enum State {
    STARTING,
    READY,
    STOPPING
  }

  private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
  private volatile Supplier<Optional<String>> degraded = Optional::empty;

  /** While {@code reason} answers something, a ready process is not ready, for that reason. */
  public void degradedWhile(Supplier<Optional<String>> reason) {
    this.degraded = reason;
  }

  /** Why a started process is not ready now; empty when it is. */
  public Optional<String> degradedReason() {
    return degraded.get();
  }

  public State state() {
    return state.get();
  }

  public void ready() {
    state.compareAndSet(State.STARTING, State.READY);
  }

  public void stopping() {
    state.set(State.STOPPING);
  }
}
