package dev.foundry.backend.runtime;

/**
 * The actor's SQLite file has applied more journal events than its journal holds (the journal was
 * restored from an older backup, or replaced): the file is ahead of its source of truth. Commands
 * are refused, because a new command's events would take sequence numbers the file already used and
 * be skipped; reads still answer from the file. An operator restores the matching journal, or moves
 * the file aside so that the actor is rebuilt from the journal (docs/operations.md). HTTP answers
 * 503.
 */
public final class ActorDivergedException extends ActorException {
  public ActorDivergedException(String actor, long fileSeqNr, long journalSeqNr) {
    super(
        "actor_diverged",
        actor
            + ": its file has applied journal events up to "
            + fileSeqNr
            + " but its journal ends at "
            + journalSeqNr
            + "; commands are refused until an operator restores the journal or moves the file"
            + " aside (docs/operations.md)");
  }

  /** Restores one received from another node: same code and message as the original. */
  private ActorDivergedException(String code, String message) {
    super(code, message);
  }

  static ActorDivergedException restored(String message) {
    return new ActorDivergedException("actor_diverged", message);
  }
}
