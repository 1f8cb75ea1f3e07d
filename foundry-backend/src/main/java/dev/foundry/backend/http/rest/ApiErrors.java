package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiError;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.runtime.ActorDivergedException;
import dev.foundry.backend.runtime.ActorException;
import dev.foundry.backend.runtime.ActorNotFoundException;
import dev.foundry.backend.runtime.CommandFailedException;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.CommandTimeoutException;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.backend.runtime.StorageUnavailableException;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a failure becomes an HTTP error: actor rejections by their code, timeouts,
 * missing actors, and our own bugs (a 500, logged with its cause). docs/api.md has the table.
 */
public final class ApiErrors {
  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  /** Rejections that mean "not in the state this needs": 409. */
  static final Set<String> CONFLICTS =
      Set.of(
          "task_archived",
          "task_killed",
          "session_busy",
          "branch_in_use",
          "no_active_sandbox",
          "not_available");

  /** Rejections that only a routing bug of ours can cause: 500. */
  static final Set<String> OUR_BUGS = Set.of("app_only", "organization_only", "unsupported_query");

  private ApiErrors() {}

  /** The API error for {@code failure} (unwrapping completion wrappers). */
  public static ApiError of(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof ApiException e) {
      return e.error();
    }
    if (cause instanceof EntityStreamSizeException e) {
      return new ApiError(
          StatusCodes.PAYLOAD_TOO_LARGE,
          "payload_too_large",
          "request body larger than " + e.limit() + " bytes");
    }
    if (cause instanceof CommandRejectedException e) {
      return new ApiError(statusOfRejection(e.code()), e.code(), e.getMessage());
    }
    if (cause instanceof CommandTimeoutException e) {
      return new ApiError(StatusCodes.GATEWAY_TIMEOUT, e.code(), e.getMessage());
    }
    if (cause instanceof ActorNotFoundException) {
      return new ApiError(StatusCodes.NOT_FOUND, "not_found", "no such resource");
    }
    if (cause instanceof StorageUnavailableException e) {
      // Nothing was written; the server takes writes again by itself once storage does.
      return new ApiError(StatusCodes.SERVICE_UNAVAILABLE, e.code(), e.getMessage(), 5);
    }
    if (cause instanceof ActorDivergedException e) {
      log.error(e.getMessage());
      return new ApiError(StatusCodes.SERVICE_UNAVAILABLE, e.code(), e.getMessage());
    }
    if (cause instanceof ActorException e && e.code().equals("overloaded")) {
      // The actor refused the call before queueing it: nothing happened, retry later.
      return new ApiError(StatusCodes.TOO_MANY_REQUESTS, e.code(), e.getMessage(), 1);
    }
    if (cause instanceof CommandFailedException e && e.code().equals("io_timeout")) {
      // The command's I/O (git, the sandbox) passed its deadline: the command failed, the
      // resource records it, and the actor went on with its next command.
      log.warn("command {} failed: {}", e.commandId(), e.getMessage());
      return new ApiError(StatusCodes.GATEWAY_TIMEOUT, e.code(), e.getMessage());
    }
    if (cause instanceof CommandFailedException e) {
      log.error("command {} failed: {} {}", e.commandId(), e.code(), e.getMessage());
      return internal();
    }
    log.error("unhandled error while serving a request", cause);
    return internal();
  }

  /** The status of a business rejection, by its stable code. */
  public static StatusCode statusOfRejection(String code) {
    if (OUR_BUGS.contains(code)) {
      log.error("a request reached the wrong actor role: {}", code);
      return StatusCodes.INTERNAL_SERVER_ERROR;
    }
    if (code.endsWith("_not_found")) {
      return StatusCodes.NOT_FOUND;
    }
    if (code.equals("not_signed_in")) {
      return StatusCodes.UNAUTHORIZED;
    }
    if (code.equals("organization_not_eligible")) {
      return StatusCodes.FORBIDDEN;
    }
    if (code.equals("sandbox_limit_reached")) {
      // Too many live sandboxes: retry once a task is archived.
      return StatusCodes.TOO_MANY_REQUESTS;
    }
    if (code.equals("billing_not_configured")) {
      return StatusCodes.SERVICE_UNAVAILABLE;
    }
    if (code.equals("stripe_unavailable")) {
      // Stripe refused or could not be reached: nothing changed here.
      return StatusCodes.BAD_GATEWAY;
    }
    if (code.startsWith("invalid_")) {
      return StatusCodes.UNPROCESSABLE_ENTITY;
    }
    if (CONFLICTS.contains(code)) {
      return StatusCodes.CONFLICT;
    }
    // Any other refusal is about the current state of the resource.
    return StatusCodes.CONFLICT;
  }

  static Throwable unwrap(Throwable failure) {
    return Failures.cause(failure);
  }

  private static ApiError internal() {
    return new ApiError(
        StatusCodes.INTERNAL_SERVER_ERROR,
        "internal_error",
        "internal error; the request id identifies it in the server log");
  }

  // Shorthands for the errors routes raise themselves.

  static ApiException notFound(String what) {
    return new ApiException(StatusCodes.NOT_FOUND, "not_found", what);
  }

  static ApiException badRequest(String code, String message) {
    return new ApiException(StatusCodes.BAD_REQUEST, code, message);
  }

  static ApiException invalid(String code, String message) {
    return new ApiException(StatusCodes.UNPROCESSABLE_ENTITY, code, message);
  }
}
