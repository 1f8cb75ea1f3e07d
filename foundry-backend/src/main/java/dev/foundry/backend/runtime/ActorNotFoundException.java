package dev.foundry.backend.runtime;

/** {@code get} addressed an actor that was never created. */
public final class ActorNotFoundException extends ActorException {
  public ActorNotFoundException(String kind, ActorKey key) {
    super("actor_not_found", kind + " " + key.canonical() + " does not exist");
  }

  /** Restores one received from another node: same code and message as the original. */
  private ActorNotFoundException(String code, String message) {
    super(code, message);
  }

  static ActorNotFoundException restored(String message) {
    return new ActorNotFoundException("actor_not_found", message);
  }
}
