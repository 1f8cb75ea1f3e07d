package dev.foundry.sandbox.client;

/**
 * The bearer token is missing or wrong (401 {@code token_invalid}) or the action is not permitted.
 */
public final class UnauthorizedException extends SandboxAgentException {

  public UnauthorizedException(String message, int status, SandboxAgentProblem problem) {
    super(message, status, problem, null);
  }
}
