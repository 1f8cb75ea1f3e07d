package dev.foundry.backend.runtime;

/**
 * The actor already has {@code foundry.runtime.max-queued-per-actor} commands and queries
 * outstanding: this one was refused before it was queued, so nothing of it happened. The caller may
 * retry later (HTTP answers 429).
 */
public final class ActorOverloadedException extends ActorException {
  public ActorOverloadedException(String actor, int limit) {
    super("overloaded", actor + " has " + limit + " commands and queries outstanding; retry later");
  }

  /** Restores one received from another node: same code and message as the original. */
  private ActorOverloadedException(String code, String message) {
    super(code, message);
  }

  static ActorOverloadedException restored(String message) {
    return new ActorOverloadedException("overloaded", message);
  }
}
