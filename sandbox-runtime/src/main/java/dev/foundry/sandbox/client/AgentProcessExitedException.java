package dev.foundry.sandbox.client;

import java.util.Optional;

/**
 * The agent process behind an ACP instance has exited. Raised either from the server's 500 {@code
 * agent_process_exited} (which 0.4.2 sends only after its full request timeout) or, at once, from
 * the {@code _adapter/agent_exited} event on the SSE stream. The instance cannot be used again.
 */
public final class AgentProcessExitedException extends SandboxAgentException {

  private final Integer exitCode;

  public AgentProcessExitedException(
      String message, int status, SandboxAgentProblem problem, Integer exitCode) {
    super(message, status, problem, null);
    this.exitCode = exitCode;
  }

  public AgentProcessExitedException(String message, Integer exitCode) {
    this(message, 0, null, exitCode);
  }

  /** The agent's exit code, when the server reported one. */
  public Optional<Integer> exitCode() {
    return Optional.ofNullable(exitCode);
  }
}
