package dev.foundry.backend.http;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether this process should receive traffic: not before storage is open and migrated, not once
 * shutdown has begun. Load balancers read it through {@code GET /v1/ready}.
 */
public final class Readiness {
  public enum State {
    STARTING,
    READY,
    STOPPING
  }

  private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);

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
