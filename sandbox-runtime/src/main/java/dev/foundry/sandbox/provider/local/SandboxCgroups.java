package dev.foundry.sandbox.provider.local;

import dev.foundry.sandbox.provider.SandboxStartException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kernel control group per sandbox, in the cgroup v1 {@code pids} and {@code memory}
 * hierarchies ({@code <mount>/foundry-sandboxes/<sandbox id>}): the server joins it before it
 * starts, so everything the sandbox ever runs is counted against {@link SandboxResources} and can
 * be found again, even a process that left the server's session and process group. Ending a sandbox
 * kills what is left in its group.
 *
 * <p>cgroup v1 because that is what a root process can write on the hosts this runs on (a cgroup v2
 * hierarchy needs a delegated subtree); without a writable hierarchy, {@link #detect} finds nothing
 * and sandboxes run unbounded, which the provider logs at start.
 */
final class SandboxCgroups {

  private static final Logger log = LoggerFactory.getLogger(SandboxCgroups.class);
  static final String PARENT = "foundry-sandboxes";

  private final Path pidsRoot;
  private final Path memoryRoot;
  private final SandboxResources resources;

  private SandboxCgroups(Path pidsRoot, Path memoryRoot, SandboxResources resources) {
    this.pidsRoot = pidsRoot;
    this.memoryRoot = memoryRoot;
    this.resources = resources;
  }

  /**
   * The cgroups to use for {@code resources}, or why there are none: both v1 hierarchies must be
   * mounted and writable by this process.
   */
  static Optional<SandboxCgroups> detect(SandboxResources resources, Path mounts) {
    if (!resources.bounded()) {
      return Optional.empty();
    }
    Path pids = null;
    Path memory = null;
    try {
      for (String line : Files.readAllLines(mounts)) {
        String[] f = line.split(" ");
        if (f.length < 4 || !f[2].equals("cgroup") || !f[3].startsWith("rw")) {
          continue;
        }
        List<String> options = List.of(f[3].split(","));
        if (options.contains("pids")) {
          pids = Path.of(f[1]);
        } else if (options.contains("memory")) {
          memory = Path.of(f[1]);
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    if (pids == null || memory == null) {
      return Optional.empty();
    }
    try {
      Files.createDirectories(pids.resolve(PARENT));
      Files.createDirectories(memory.resolve(PARENT));
    } catch (IOException | SecurityException e) {
      log.debug("cgroups under {} and {} are not writable: {}", pids, memory, e.toString());
      return Optional.empty();
    }
    return Optional.of(new SandboxCgroups(pids.resolve(PARENT), memory.resolve(PARENT), resources));
  }

  SandboxResources resources() {
    return resources;
  }

  /**
   * Creates (or reuses) the sandbox's groups with the limits set, and returns {@code command}
   * wrapped so that it joins them before it runs: {@code sh -c 'echo $$ > .../cgroup.procs ...;
   * exec "$@"'}. The pid stays the same through the {@code exec}.
   */
  List<String> wrap(String sandboxId, List<String> command) {
    Path pids = pidsRoot.resolve(sandboxId);
    Path memory = memoryRoot.resolve(sandboxId);
    try {
      Files.createDirectories(pids);
      Files.createDirectories(memory);
      Files.writeString(
          pids.resolve("pids.max"),
          resources.maxProcesses() > 0 ? Long.toString(resources.maxProcesses()) : "max");
      Files.writeString(
          memory.resolve("memory.limit_in_bytes"),
          resources.maxMemoryBytes() > 0 ? Long.toString(resources.maxMemoryBytes()) : "-1");
    } catch (IOException e) {
      throw new SandboxStartException("cannot set up the cgroups of sandbox " + sandboxId, e);
    }
    List<String> wrapped = new ArrayList<>();
    wrapped.add("/bin/sh");
    wrapped.add("-c");
    wrapped.add(
        "echo $$ > '"
            + pids.resolve("cgroup.procs")
            + "' && echo $$ > '"
            + memory.resolve("cgroup.procs")
            + "' && exec \"$@\"");
    wrapped.add("sh");
    wrapped.addAll(command);
    return wrapped;
  }

  /** Pids in the sandbox's group now (empty when it has none). */
  List<Long> members(String sandboxId) {
    Path procs = pidsRoot.resolve(sandboxId).resolve("cgroup.procs");
    if (!Files.isRegularFile(procs)) {
      return List.of();
    }
    try {
      return Files.readAllLines(procs).stream()
          .filter(l -> !l.isBlank())
          .map(Long::parseLong)
          .toList();
    } catch (IOException e) {
      return List.of(); // the group went away meanwhile
    }
  }

  /**
   * Kills whatever is still in the sandbox's group, in rounds (a dying process may fork once more),
   * then removes the groups. Called after the process tree was ended, for what escaped it.
   */
  void end(String sandboxId) {
    for (int round = 0; round < 50; round++) {
      List<Long> left = members(sandboxId);
      if (left.isEmpty()) {
        break;
      }
      left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    remove(pidsRoot.resolve(sandboxId));
    remove(memoryRoot.resolve(sandboxId));
  }

  /** {@code rmdir}: a cgroup directory goes once it is empty (its files are not real files). */
  private static void remove(Path group) {
    try {
      Files.deleteIfExists(group);
    } catch (IOException e) {
      log.warn("cgroup {} could not be removed: {}", group, e.toString());
    } catch (UncheckedIOException e) {
      log.warn("cgroup {} could not be removed: {}", group, e.getCause().toString());
    }
  }

  @Override
  public String toString() {
    return "cgroups " + pidsRoot + " and " + memoryRoot + " with " + resources;
  }
}
