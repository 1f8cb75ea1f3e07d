package dev.foundry.sandbox.session;

/**
 * Receives a session's updates. Calls arrive one at a time and in the agent's order, on the
 * client's executor (never on the common pool); a turn's updates all arrive before its result
 * future completes. Do not block in them.
 */
@FunctionalInterface
public interface SessionListener {

  void onUpdate(SessionUpdate update);

  /** The session ended: {@code cause} is null after {@code close()}, else why it died. */
  default void onClosed(Throwable cause) {}
}
