package dev.foundry.backend.http;

import org.apache.pekko.http.javadsl.model.StatusCode;

/**
 * A request that cannot be served, with the status, code and message the client gets in the API's
 * error shape. Thrown (or used to fail a stage) by routes and the services behind them; {@link
 * ErrorHandling} renders it. Never used for our own bugs: those stay a 500.
 */
public final class ApiException extends RuntimeException {
  private final transient ApiError error;

  public ApiException(StatusCode status, String code, String message) {
    super(message, null, false, false);
    this.error = new ApiError(status, code, message);
  }

  public ApiError error() {
    return error;
  }
}
