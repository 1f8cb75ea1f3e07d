package dev.foundry.sandbox.provider.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How a local sandbox's server is confined. The provider code is the same for both; the isolation
 * decides the provider id stored with tasks ({@link LocalSandboxProvider#id()}), so sandboxes
 * created by {@code local} are found again by {@code local}.
 */
public enum SandboxIsolation {
  /** A plain process of the backend's user: separate directories and a token, nothing more. */
  NONE("local"),
  /**
   * The server runs under {@code bwrap} (Debian's {@code bubblewrap}): own mount, PID, IPC and UTS
   * namespaces, no capabilities, a read-only system, only the sandbox's directories writable.
   */
  BWRAP("isolated");

  private final String providerId;

  SandboxIsolation(String providerId) {
    this.providerId = providerId;
  }

  public String providerId() {
    return providerId;
  }

  /** The {@code bwrap} executable on this machine, if there is one. */
  public static Optional<Path> bwrap() {
    for (String dir : new String[] {"/usr/bin", "/bin", "/usr/local/bin"}) {
      Path candidate = Path.of(dir, "bwrap");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
