package dev.foundry.sandbox.client;

import java.util.Optional;

/**
 * Base of every failure talking to a sandbox-agent server. Subclasses name the cases a caller can
 * react to; anything else (e.g. {@code stream_error}: a process that could not be spawned) arrives
 * as this class with its {@link #problem()} attached.
 */
public class SandboxAgentException extends RuntimeException {

  private final int status;
  private final SandboxAgentProblem problem;

  public SandboxAgentException(String message) {
    this(message, 0, null, null);
  }

  public SandboxAgentException(String message, Throwable cause) {
    this(message, 0, null, cause);
  }

  public SandboxAgentException(
      String message, int status, SandboxAgentProblem problem, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.problem = problem;
  }

  /** The HTTP status, or 0 when the failure did not come from an HTTP response. */
  public int status() {
    return status;
  }

  public Optional<SandboxAgentProblem> problem() {
    return Optional.ofNullable(problem);
  }

  /** Maps an error response to the most specific exception for its status and problem type. */
  public static SandboxAgentException fromResponse(
      String operation, int status, SandboxAgentProblem problem) {
    String errorType = problem.errorType();
    String message =
        operation
            + " failed: HTTP "
            + status
            + (errorType.isEmpty() ? "" : " " + errorType)
            + (problem.detail() == null ? "" : ": " + problem.detail());
    switch (errorType) {
      case "token_invalid":
      case "permission_denied":
        return new UnauthorizedException(message, status, problem);
      case "not_found":
      case "session_not_found":
        return new NotFoundException(message, status, problem);
      case "conflict":
      case "session_already_exists":
        return new ConflictException(message, status, problem);
      case "unsupported_agent":
      case "agent_not_installed":
      case "install_failed":
        return new AgentUnavailableException(message, status, problem);
      case "agent_process_exited":
        return new AgentProcessExitedException(message, status, problem, problemExitCode(problem));
      case "timeout":
        return new SandboxAgentTimeoutException(message, status, problem);
      case "invalid_request":
      case "unsupported_media_type":
      case "not_acceptable":
      case "mode_not_supported":
        return new InvalidRequestException(message, status, problem);
      default:
        break;
    }
    if (status == 401 || status == 403) {
      return new UnauthorizedException(message, status, problem);
    }
    if (status == 404) {
      return new NotFoundException(message, status, problem);
    }
    if (status == 409) {
      return new ConflictException(message, status, problem);
    }
    if (status == 400 || status == 415 || status == 422) {
      // axum's own rejections (bad query string, bad JSON body) are text/plain without a type.
      return new InvalidRequestException(message, status, problem);
    }
    return new SandboxAgentException(message, status, problem, null);
  }

  private static Integer problemExitCode(SandboxAgentProblem problem) {
    if (problem.details() != null && problem.details().hasNonNull("exitCode")) {
      return problem.details().get("exitCode").asInt();
    }
    return null;
  }
}
