package dev.foundry.sandbox.provider.local;

import dev.foundry.sandbox.provider.SandboxStartException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * How the backend reaches the server of a sandbox without network ({@link SandboxNetwork#NONE}).
 * The server listens on {@link #PORT} of the sandbox's own loopback; {@code socat}, started next to
 * it inside the sandbox, listens on a Unix socket in the sandbox's {@code net} directory (mounted
 * at {@link #INSIDE_DIR}) and forwards each connection to that port; on the backend's side a {@link
 * ServerSocketRelay} turns the socket back into a port of the host's 127.0.0.1.
 *
 * <p>{@code socat} rather than a Java relay: one small C process per sandbox (about 1 MB resident,
 * plus a fork per open connection) where a JVM would hold tens of MB for as long as the sandbox
 * lives, and Debian's package is a long-maintained tool for exactly this. It runs in the sandbox's
 * PID namespace as the server's child, so it ends with the sandbox like everything else there.
 */
final class OfflineNetwork {

  /** The server's port on the sandbox's own loopback (sandbox-agent's usual one; nothing else). */
  static final int PORT = 2468;

  /** Where the sandbox's {@code net} directory is mounted inside it. */
  static final String INSIDE_DIR = "/run/foundry-net";

  private static final String SOCKET = "server.sock";

  /** Linux's limit on a socket path (sun_path), without its terminating NUL. */
  private static final int MAX_SOCKET_PATH = 107;

  private OfflineNetwork() {}

  /**
   * Fails unless {@link SandboxNetwork#NONE} can be honoured: only under bwrap (without it the
   * server is a plain process in the host's network), and with socat to reach the server.
   */
  static void requireUsable(LocalSandboxSettings settings) {
    if (settings.network() != SandboxNetwork.NONE) {
      return;
    }
    if (settings.isolation() != SandboxIsolation.BWRAP) {
      throw new IllegalStateException(
          "sandbox network 'none' needs the isolated provider: the local provider runs sandboxes"
              + " in the host's network namespace and cannot take their network away");
    }
    if (socat().isEmpty()) {
      throw new IllegalStateException(
          "sandbox network 'none' needs socat, which is not installed (Debian: apt-get install"
              + " socat): it connects the backend to a sandbox's server through a Unix socket");
    }
  }

  /** The sandbox's directory for the socket, on the host. */
  static Path hostDir(Path sandboxDir) {
    return sandboxDir.resolve("net");
  }

  /** The socket the backend's relay connects to. */
  static Path hostSocket(Path sandboxDir) {
    return hostDir(sandboxDir).resolve(SOCKET);
  }

  /** The {@code socat} executable on this machine, if there is one. */
  static Optional<Path> socat() {
    for (String dir : new String[] {"/usr/bin", "/bin", "/usr/local/bin"}) {
      Path candidate = Path.of(dir, "socat");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Creates the socket's directory ({@code 0700}) and checks that the socket path fits. */
  static void prepare(Path sandboxDir) {
    Path socket = hostSocket(sandboxDir);
    if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
      throw new SandboxStartException(
          "the sandbox's socket path "
              + socket
              + " is longer than the "
              + MAX_SOCKET_PATH
              + " bytes a Unix socket allows: choose a shorter FOUNDRY_SANDBOX_ROOT");
    }
    try {
      Files.createDirectories(hostDir(sandboxDir));
      Files.setPosixFilePermissions(
          hostDir(sandboxDir), PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new SandboxStartException("cannot create " + hostDir(sandboxDir), e);
    }
  }

  /**
   * What runs inside bwrap before the server's own command: a shell that starts {@code socat} in
   * the background and then becomes the server ({@code exec "$@"}), so that the server keeps its
   * place in the process tree and socat is its child.
   */
  static List<String> wrapper() {
    Path socat =
        socat()
            .orElseThrow(
                () ->
                    new SandboxStartException(
                        "socat is not installed (apt-get install socat); it connects the backend"
                            + " to sandboxes without network"));
    String listen = "UNIX-LISTEN:" + INSIDE_DIR + "/" + SOCKET + ",fork,unlink-early,mode=600";
    String forward = "TCP:127.0.0.1:" + PORT;
    // bwrap's init outlives the server while any process of the sandbox does, and then no longer
    // belongs to the server's session: socat must not be such a process. setpriv (util-linux)
    // makes the kernel kill it when its parent, which becomes the server, exits.
    String deathSignal =
        Files.isExecutable(Path.of("/usr/bin/setpriv")) ? "/usr/bin/setpriv --pdeathsig KILL " : "";
    return List.of(
        "/bin/sh",
        "-c",
        deathSignal + "'" + socat + "' " + listen + " " + forward + " </dev/null & exec \"$@\"",
        "sh");
  }

  /** Whether a bwrap command line ({@code /proc/<pid>/cmdline}) gives the sandbox its own net. */
  static boolean unshared(byte[] cmdline) {
    int start = 0;
    for (int i = 0; i <= cmdline.length; i++) {
      if (i == cmdline.length || cmdline[i] == 0) {
        String arg = new String(cmdline, start, i - start, StandardCharsets.UTF_8);
        if (arg.equals("--")) {
          return false; // the sandbox's own command begins: bwrap's options are over
        }
        if (arg.equals("--unshare-net") || arg.equals("--unshare-all")) {
          return true;
        }
        start = i + 1;
      }
    }
    return false;
  }
}
