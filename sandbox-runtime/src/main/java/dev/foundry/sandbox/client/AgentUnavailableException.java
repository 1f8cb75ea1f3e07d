package dev.foundry.sandbox.client;

/**
 * The agent cannot be used: unknown id, not installed, or its installation failed (real agents need
 * network).
 */
public final class AgentUnavailableException extends SandboxAgentException {

  public AgentUnavailableException(String message, int status, SandboxAgentProblem problem) {
    super(message, status, problem, null);
  }
}
