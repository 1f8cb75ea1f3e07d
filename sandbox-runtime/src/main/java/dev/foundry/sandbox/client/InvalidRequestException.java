package dev.foundry.sandbox.client;

/**
 * The server rejected the request as malformed: bad path, missing field, wrong media type. A caller
 * bug, not a transient failure.
 */
public final class InvalidRequestException extends SandboxAgentException {

  public InvalidRequestException(String message, int status, SandboxAgentProblem problem) {
    super(message, status, problem, null);
  }
}
