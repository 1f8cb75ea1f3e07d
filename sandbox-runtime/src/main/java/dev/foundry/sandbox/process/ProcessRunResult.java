package dev.foundry.sandbox.process;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The outcome of {@link SandboxProcesses#run}. {@code exitCode} is null when the process was killed
 * (timeout or signal).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProcessRunResult(
    Integer exitCode,
    boolean timedOut,
    String stdout,
    String stderr,
    boolean stdoutTruncated,
    boolean stderrTruncated,
    long durationMs) {

  public boolean succeeded() {
    return !timedOut && exitCode != null && exitCode == 0;
  }

  /** Returns this result if it succeeded, else throws with stderr in the message. */
  public ProcessRunResult orThrow(String what) {
    if (!succeeded()) {
      throw new ProcessFailedException(what, this);
    }
    return this;
  }
}
