package dev.foundry.sandbox.provider.local;

/**
 * Per-sandbox bounds, for the whole process tree of one sandbox: how many processes (threads count,
 * as the kernel's {@code pids} controller counts them) and how much memory. Zero means no bound.
 *
 * @param maxProcesses at most this many tasks in the sandbox at once; a fork past it fails
 * @param maxMemoryBytes at most this much memory (page cache included, as the kernel's {@code
 *     memory} controller counts it); past it the kernel reclaims, then kills in the sandbox
 */
public record SandboxResources(long maxProcesses, long maxMemoryBytes) {

  /** No bound at all: the provider then needs no cgroups. */
  public static final SandboxResources UNBOUNDED = new SandboxResources(0, 0);

  public SandboxResources {
    if (maxProcesses < 0 || maxMemoryBytes < 0) {
      throw new IllegalArgumentException("limits must be 0 (none) or positive");
    }
  }

  public boolean bounded() {
    return maxProcesses > 0 || maxMemoryBytes > 0;
  }
}
