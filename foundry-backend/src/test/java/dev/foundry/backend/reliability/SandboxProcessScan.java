package dev.foundry.backend.reliability;

import dev.foundry.sandbox.provider.local.ProcessTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The host's view of a sandbox root: every live process whose command line or working directory
 * lies under it, grouped by sandbox id (the first path segment below the root, which is the task
 * id). This reads {@code /proc} directly, so it sees what the backend's records would miss: a
 * server the backend forgot, a bwrap left by a killed provision, a git still cloning.
 */
final class SandboxProcessScan {
  private final Path root;

  SandboxProcessScan(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** Sandbox id → live (not zombie) process ids under it. */
  Map<String, List<Long>> live() {
    Map<String, List<Long>> bySandbox = new TreeMap<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        String name = proc.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        String sandboxId = sandboxOf(proc);
        if (sandboxId != null && !zombie(proc)) {
          bySandbox.computeIfAbsent(sandboxId, k -> new ArrayList<>()).add(pid);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return bySandbox;
  }

  /** Ends every process under the root (the campaign's own sandboxes, after its last check). */
  void endAll() {
    for (int attempt = 0; attempt < 5; attempt++) {
      Map<String, List<Long>> left = live();
      if (left.isEmpty()) {
        break;
      }
      left.values().forEach(pids -> pids.forEach(p -> ProcessTree.terminate(p, Duration.ZERO)));
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.toList()) {
        for (String controller : List.of("pids", "memory")) {
          try {
            Files.deleteIfExists(
                Path.of("/sys/fs/cgroup", controller, "foundry-sandboxes")
                    .resolve(dir.getFileName().toString()));
          } catch (IOException e) {
            // no cgroups here, or still busy: the kernel keeps it
          }
        }
      }
    } catch (IOException e) {
      // no sandbox was ever made
    }
  }

  private String sandboxOf(Path proc) {
    try {
      Path cwd = Files.readSymbolicLink(proc.resolve("cwd"));
      String id = idUnderRoot(cwd.toString());
      if (id != null) {
        return id;
      }
    } catch (IOException e) {
      // gone, or not ours to read
    }
    try {
      byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
      for (String arg : new String(raw, StandardCharsets.UTF_8).split("\0")) {
        String id = idUnderRoot(arg);
        if (id != null) {
          return id;
        }
      }
    } catch (IOException e) {
      // gone meanwhile
    }
    return null;
  }

  private String idUnderRoot(String path) {
    String prefix = root + "/";
    if (!path.startsWith(prefix)) {
      return null;
    }
    String rest = path.substring(prefix.length());
    int slash = rest.indexOf('/');
    String id = slash < 0 ? rest : rest.substring(0, slash);
    return id.isEmpty() ? null : id;
  }

  private static boolean zombie(Path proc) {
    try {
      String stat = Files.readString(proc.resolve("stat"));
      int close = stat.lastIndexOf(')');
      return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
    } catch (IOException e) {
      return true; // gone meanwhile
    }
  }
}
