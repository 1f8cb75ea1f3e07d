package dev.foundry.sandbox.client;

/**
 * The addressed resource does not exist: a process, a path's ACP instance, an SSE stream of a
 * deleted instance.
 */
public final class NotFoundException extends SandboxAgentException {

  public NotFoundException(String message, int status, SandboxAgentProblem problem) {
    super(message, status, problem, null);
  }
}
