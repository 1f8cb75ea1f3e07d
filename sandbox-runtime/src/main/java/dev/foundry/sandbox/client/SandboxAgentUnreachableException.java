package dev.foundry.sandbox.client;

/** The server could not be reached at all (connection refused or reset): it is not running. */
public final class SandboxAgentUnreachableException extends SandboxAgentException {

  public SandboxAgentUnreachableException(String message, Throwable cause) {
    super(message, 0, null, cause);
  }
}
