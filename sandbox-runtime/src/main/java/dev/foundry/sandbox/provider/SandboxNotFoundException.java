package dev.foundry.sandbox.provider;

import dev.foundry.sandbox.client.SandboxAgentException;

/** The provider has no sandbox with this id. */
public final class SandboxNotFoundException extends SandboxAgentException {

  public SandboxNotFoundException(String providerId, String sandboxId) {
    super("no " + providerId + " sandbox '" + sandboxId + "'");
  }
}
