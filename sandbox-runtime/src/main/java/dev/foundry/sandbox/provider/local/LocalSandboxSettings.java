package dev.foundry.sandbox.provider.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Configuration of the local provider.
 *
 * @param rootDir where sandboxes live, one directory each ({@code <root>/<sandboxId>})
 * @param binary the sandbox-agent executable ({@code scripts/sandbox-agent-bin} prints it)
 * @param executor runs the blocking work (process start, health polling) and the clients' callbacks
 * @param startTimeout how long a server may take to become healthy
 * @param acpRequestTimeout the server's {@code SANDBOX_AGENT_ACP_REQUEST_TIMEOUT_MS}: keep it above
 *     the longest agent turn, because 0.4.2 never answers a request that passes it
 * @param stopGrace how long processes get between SIGTERM and SIGKILL
 * @param hostEnvironment the backend's environment; only the names {@link SandboxEnvironment}
 *     allows ({@code PATH}, {@code LANG}, {@code LC_*}, ...) are taken from it, nothing else
 * @param legacyRoots older roots whose existing sandboxes are still found (connect, stop, destroy,
 *     list); new sandboxes are always created under {@code rootDir}
 * @param isolation {@link SandboxIsolation#NONE} (provider id {@code local}) or {@link
 *     SandboxIsolation#BWRAP} (provider id {@code isolated})
 * @param sharedPaths host paths an isolated sandbox may read and write at the same path (a local
 *     {@code file://} git remote, for instance); every sandbox sees them. Ignored without
 *     isolation, where everything is visible anyway.
 * @param network {@link SandboxNetwork#FULL} (default) or {@link SandboxNetwork#NONE}, which only
 *     {@link SandboxIsolation#BWRAP} can honour ({@link LocalSandboxProvider} refuses it otherwise)
 */
public record LocalSandboxSettings(
    Path rootDir,
    Path binary,
    Executor executor,
    Duration startTimeout,
    Duration acpRequestTimeout,
    Duration stopGrace,
    Map<String, String> hostEnvironment,
    List<Path> legacyRoots,
    SandboxIsolation isolation,
    List<Path> sharedPaths,
    SandboxNetwork network) {

  public LocalSandboxSettings {
    Objects.requireNonNull(rootDir, "rootDir");
    Objects.requireNonNull(binary, "binary");
    Objects.requireNonNull(executor, "executor");
    rootDir = rootDir.toAbsolutePath().normalize();
    binary = binary.toAbsolutePath();
    startTimeout = startTimeout == null ? Duration.ofSeconds(30) : startTimeout;
    acpRequestTimeout = acpRequestTimeout == null ? Duration.ofHours(1) : acpRequestTimeout;
    stopGrace = stopGrace == null ? Duration.ofSeconds(3) : stopGrace;
    hostEnvironment = Map.copyOf(hostEnvironment == null ? System.getenv() : hostEnvironment);
    Path root = rootDir;
    legacyRoots =
        legacyRoots == null
            ? List.of()
            : legacyRoots.stream()
                .map(p -> p.toAbsolutePath().normalize())
                .filter(p -> !p.equals(root))
                .distinct()
                .toList();
    isolation = isolation == null ? SandboxIsolation.NONE : isolation;
    sharedPaths =
        sharedPaths == null
            ? List.of()
            : sharedPaths.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    network = network == null ? SandboxNetwork.FULL : network;
  }

  public LocalSandboxSettings(
      Path rootDir,
      Path binary,
      Executor executor,
      Duration startTimeout,
      Duration acpRequestTimeout,
      Duration stopGrace) {
    this(
        rootDir,
        binary,
        executor,
        startTimeout,
        acpRequestTimeout,
        stopGrace,
        null,
        null,
        null,
        null,
        null);
  }

  /** Unisolated ({@code local}) settings with the default timeouts. */
  public static LocalSandboxSettings of(Path rootDir, Path binary, Executor executor) {
    return new LocalSandboxSettings(rootDir, binary, executor, null, null, null);
  }

  public LocalSandboxSettings withAcpRequestTimeout(Duration acpRequestTimeout) {
    return new LocalSandboxSettings(
        rootDir,
        binary,
        executor,
        startTimeout,
        acpRequestTimeout,
        stopGrace,
        hostEnvironment,
        legacyRoots,
        isolation,
        sharedPaths,
        network);
  }

  public LocalSandboxSettings withStartTimeout(Duration startTimeout) {
    return new LocalSandboxSettings(
        rootDir,
        binary,
        executor,
        startTimeout,
        acpRequestTimeout,
        stopGrace,
        hostEnvironment,
        legacyRoots,
        isolation,
        sharedPaths,
        network);
  }

  /** The environment the allow-listed variables are taken from (default: this JVM's). */
  public LocalSandboxSettings withHostEnvironment(Map<String, String> hostEnvironment) {
    return new LocalSandboxSettings(
        rootDir,
        binary,
        executor,
        startTimeout,
        acpRequestTimeout,
        stopGrace,
        hostEnvironment,
        legacyRoots,
        isolation,
        sharedPaths,
        network);
  }

  /** Roots of earlier versions whose sandboxes keep working until they are destroyed. */
  public LocalSandboxSettings withLegacyRoots(List<Path> legacyRoots) {
    return new LocalSandboxSettings(
        rootDir,
        binary,
        executor,
        startTimeout,
        acpRequestTimeout,
        stopGrace,
        hostEnvironment,
        legacyRoots,
        isolation,
        sharedPaths,
        network);
  }

  public LocalSandboxSettings withIsolation(SandboxIsolation isolation) {
    return new LocalSandboxSettings(
        rootDir,
        binary,
        executor,
        startTimeout,
        acpRequestTimeout,
        stopGrace,
        hostEnvironment,
        legacyRoots,
        isolation,
        sharedPaths,
        network);
  }

  public LocalSandboxSettings withSharedPaths(List<Path> sharedPaths) {
    return new LocalSandboxSettings(
        rootDir,
        binary,
        executor,
        startTimeout,
        acpRequestTimeout,
        stopGrace,
        hostEnvironment,
        legacyRoots,
        isolation,
        sharedPaths,
        network);
  }

  /** {@link SandboxNetwork#NONE}: a network namespace of its own per sandbox (isolated only). */
  public LocalSandboxSettings withNetwork(SandboxNetwork network) {
    return new LocalSandboxSettings(
        rootDir,
        binary,
        executor,
        startTimeout,
        acpRequestTimeout,
        stopGrace,
        hostEnvironment,
        legacyRoots,
        isolation,
        sharedPaths,
        network);
  }
}
