package dev.foundry.backend.runtime;

/** {@code get} addressed an actor that was never created. */
public final class ActorNotFoundException extends ActorException {
  public ActorNotFoundException(String kind, ActorKey key) {
    super("actor_not_found", kind + " " + key.canonical() + " does not exist");
  }
}
