package dev.foundry.backend.runtime;

/** A typed failure of a call to an actor; {@link #code()} is stable and snake_case. */
public abstract class ActorException extends RuntimeException {
  private final String code;

  protected ActorException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
