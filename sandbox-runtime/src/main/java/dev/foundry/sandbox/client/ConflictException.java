package dev.foundry.sandbox.client;

/**
 * The request conflicts with current state, e.g. a serverId bound to another agent or deleting a
 * running process.
 */
public final class ConflictException extends SandboxAgentException {

  public ConflictException(String message, int status, SandboxAgentProblem problem) {
    super(message, status, problem, null);
  }
}
