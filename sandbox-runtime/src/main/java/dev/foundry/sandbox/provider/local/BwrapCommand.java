package dev.foundry.sandbox.provider.local;

import dev.foundry.sandbox.agent.OfflineAgentLauncher;
import dev.foundry.sandbox.provider.SandboxStartException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code bwrap} arguments that confine one sandbox's server and everything it starts. The new
 * root is empty except for: the system ({@code /usr}, {@code /etc} without its password hashes, the
 * {@code /bin}/{@code /lib*} links) read-only; a fresh {@code /proc}, {@code /dev} and {@code /tmp}
 * and {@code /run}; the sandbox-agent binary, the target of a linked {@code /etc/resolv.conf}, and
 * what the offline agent launcher runs (the JVM and its class path entries) read-only; the
 * sandbox's {@code home}, {@code work}, {@code data} and {@code state} directories and the
 * configured shared paths read-write, each at its host path. Its record and log, the sandbox root,
 * other sandboxes, the backend's data directory and the host's home are not mounted. With {@link
 * SandboxNetwork#FULL} the network namespace is the host's, so the backend reaches the server on
 * 127.0.0.1; with {@link SandboxNetwork#NONE} it is the sandbox's own (only its loopback), and the
 * sandbox's {@code net} directory is mounted at {@link OfflineNetwork#INSIDE_DIR} for the socket
 * the backend reaches the server through ({@link OfflineNetwork}).
 */
final class BwrapCommand {

  private static final List<String> SYSTEM_TOP_LEVEL =
      List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");

  /** Files under /etc that are hidden behind /dev/null. */
  private static final List<String> MASKED = List.of("/etc/shadow", "/etc/gshadow");

  private BwrapCommand() {}

  /** {@code bwrap <options> --}: put before the server's own command. */
  static List<String> args(LocalSandboxRecord record, Path sandboxDir, LocalSandboxSettings s) {
    Path bwrap =
        SandboxIsolation.bwrap()
            .orElseThrow(
                () ->
                    new SandboxStartException(
                        "bwrap is not installed (apt-get install bubblewrap); it confines "
                            + "sandbox "
                            + record.sandboxId()));
    List<String> a = new ArrayList<>();
    a.add(bwrap.toString());
    a.addAll(
        List.of(
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "sandbox",
            "--new-session",
            "--cap-drop",
            "ALL"));
    if (s.network() == SandboxNetwork.NONE) {
      a.add("--unshare-net");
    }
    a.addAll(List.of("--ro-bind", "/usr", "/usr"));
    for (String top : SYSTEM_TOP_LEVEL) {
      Path p = Path.of(top);
      if (Files.isSymbolicLink(p)) {
        try {
          a.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), top));
        } catch (java.io.IOException e) {
          throw new SandboxStartException("cannot read the link " + top, e);
        }
      } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        a.addAll(List.of("--ro-bind", top, top));
      }
    }
    a.addAll(List.of("--ro-bind", "/etc", "/etc"));
    for (String masked : MASKED) {
      if (Files.exists(Path.of(masked))) {
        a.addAll(List.of("--ro-bind", "/dev/null", masked));
      }
    }
    a.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run"));
    if (s.network() == SandboxNetwork.NONE) {
      a.addAll(
          List.of(
              "--bind", OfflineNetwork.hostDir(sandboxDir).toString(), OfflineNetwork.INSIDE_DIR));
    }
    for (Path readOnly : readOnlyPaths(record)) {
      a.addAll(List.of("--ro-bind", readOnly.toString(), readOnly.toString()));
    }
    Path state = sandboxDir.resolve("state");
    for (String writable :
        List.of(record.homeDir(), record.workDir(), record.dataDir(), state.toString())) {
      a.addAll(List.of("--bind", writable, writable));
    }
    for (Path shared : s.sharedPaths()) {
      a.addAll(List.of("--bind", shared.toString(), shared.toString()));
    }
    a.addAll(List.of("--chdir", record.workDir(), "--"));
    return a;
  }

  /**
   * The binary, and what the offline agent's launcher runs: the JVM's home and the launcher's class
   * path entries (this module's classes and Jackson). Paths under /usr are mounted already.
   */
  static Set<Path> readOnlyPaths(LocalSandboxRecord record) {
    Set<Path> paths = new LinkedHashSet<>();
    paths.add(Path.of(record.binary()));
    paths.add(Path.of(System.getProperty("java.home")).toAbsolutePath().normalize());
    paths.addAll(OfflineAgentLauncher.classPathEntries());
    // Where /etc/resolv.conf points under /run (systemd-resolved), so that DNS keeps working.
    Path resolv = Path.of("/etc/resolv.conf");
    if (Files.isSymbolicLink(resolv)) {
      try {
        paths.add(resolv.toRealPath());
      } catch (java.io.IOException e) {
        // a dangling link: there is no DNS configuration to share
      }
    }
    paths.removeIf(p -> p.startsWith("/usr") || !Files.exists(p));
    return paths;
  }
}
