package dev.foundry.backend.runtime;

/**
 * A read answered from the actor's tables without journaling, also while a command's I/O is in
 * flight. Never persisted, so it needs no stable name. {@code R} is the answer's type.
 */
public interface ActorQuery<R> {}
