package dev.foundry.sandbox.client;

/**
 * No answer in time. Usually a client-side timeout: sandbox-agent 0.4.2 can leave an HTTP request
 * unanswered forever (a DELETE of a live ACP instance, an ACP request that timed out on the
 * server), so every call here carries its own deadline.
 */
public final class SandboxAgentTimeoutException extends SandboxAgentException {

  public SandboxAgentTimeoutException(String message, Throwable cause) {
    super(message, 0, null, cause);
  }

  public SandboxAgentTimeoutException(String message, int status, SandboxAgentProblem problem) {
    super(message, status, problem, null);
  }
}
