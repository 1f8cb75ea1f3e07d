package dev.foundry.sandbox.provider;

import dev.foundry.sandbox.client.SandboxAgentException;

/** A sandbox could not be started; the message carries what the server logged. */
public final class SandboxStartException extends SandboxAgentException {

  public SandboxStartException(String message) {
    super(message);
  }

  public SandboxStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
