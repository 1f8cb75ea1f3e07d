package dev.foundry.sandbox.process;

import dev.foundry.sandbox.client.SandboxAgentException;

/** A command ran but did not succeed (non-zero exit, killed, or timed out). */
public final class ProcessFailedException extends SandboxAgentException {

  private final ProcessRunResult result;

  public ProcessFailedException(String what, ProcessRunResult result) {
    super(
        what
            + (result.timedOut() ? " timed out" : " exited with " + result.exitCode())
            + (result.stderr() == null || result.stderr().isBlank()
                ? ""
                : ": " + result.stderr().strip()));
    this.result = result;
  }

  public ProcessRunResult result() {
    return result;
  }
}
