package dev.foundry.sandbox.provider;

/** What a provider knows about a sandbox. */
public enum SandboxState {
  /** The server answers; sessions and processes can run. */
  RUNNING,
  /** Compute is stopped, state (files, work dir) is kept; {@code connect} resumes it. */
  STOPPED,
  /** The provider has no such sandbox (never created, or destroyed). */
  NOT_FOUND
}
