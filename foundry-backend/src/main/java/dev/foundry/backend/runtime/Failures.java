package dev.foundry.backend.runtime;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place that looks through the wrappers of asynchronous failures: a {@code CompletionStage}
 * fails with {@link CompletionException} (or, through {@code get}, {@link ExecutionException})
 * around the exception that matters.
 */
public final class Failures {
  private Failures() {}

  /** The exception inside any {@link CompletionException}/{@link ExecutionException} wrappers. */
  public static Throwable cause(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The cause's message, or its class name when it has none. */
  public static String message(Throwable failure) {
    Throwable cause = cause(failure);
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
  }

  /** {@code failure} as an unchecked exception to rethrow from a stage's callback. */
  public static CompletionException rethrow(Throwable failure) {
    return failure instanceof CompletionException c ? c : new CompletionException(cause(failure));
  }
}
