package dev.foundry.sandbox.provider.local;

import dev.foundry.sandbox.agent.OfflineAgentLauncher;
import dev.foundry.sandbox.client.ConflictException;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxLocks;
import dev.foundry.sandbox.provider.SandboxNotFoundException;
import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.SandboxStartException;
import dev.foundry.sandbox.provider.SandboxState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes as local sandbox-agent server processes. Layout of one sandbox:
 *
 * <pre>
 * &lt;root&gt;/&lt;sandboxId&gt;/   (0700)
 *   sandbox.json          the record: pid, port, token, dirs (0600)
 *   server.log            the server's log (SANDBOX_AGENT_LOG_STDOUT=1), appended across restarts
 *   home/                 $HOME of the server, its agents and processes
 *   work/                 the server's cwd; the repository is cloned here
 *   data/                 XDG_DATA_HOME: installed agents, sandbox-agent state
 *   state/                XDG_STATE_HOME, XDG_CACHE_HOME, XDG_CONFIG_HOME
 *   net/                  with network none: the socket the backend reaches the server through
 * </pre>
 *
 * <p>The root is {@code 0700}. A server's environment is an allow-list ({@link SandboxEnvironment})
 * and its token is blanked in its command line once it runs. With {@link SandboxIsolation#NONE}
 * (provider id {@code local}) there is no isolation beyond that: the server and its agents run as
 * the backend's user on loopback and see the host's files and processes (docs/threat-model.md); for
 * development only. With {@link SandboxIsolation#BWRAP} (provider id {@code isolated}) the same
 * server runs confined by {@code bwrap} ({@link BwrapCommand}), in its own mount and PID
 * namespaces.
 */
public final class LocalSandboxProvider implements SandboxProvider {

  /** The id of the unisolated provider. */
  public static final String ID = "local";

  private static final Logger log = LoggerFactory.getLogger(LocalSandboxProvider.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final LocalSandboxSettings settings;
  private final SandboxLocks locks;

  /** One lock per sandbox id: create/connect/stop/destroy of one sandbox never interleave. */

  /** Where sandboxes are bounded and found again by the kernel; empty when unbounded. */
  private final Optional<SandboxCgroups> cgroups;

  /** Servers this JVM started; kept so their exit is reaped and a stop can wait for it. */
  private final Map<String, Process> processes = new ConcurrentHashMap<>();

  /** The backend's ways to servers without network ({@link SandboxNetwork#NONE}), per sandbox. */
  private final ServerRelays relays = new ServerRelays();

  /** Sandboxes without process and memory bounds. */
  public LocalSandboxProvider(LocalSandboxSettings settings) {
    this(settings, SandboxResources.UNBOUNDED);
  }

  /**
   * Sandboxes bounded by {@code resources} through cgroups where this process may create them
   * ({@link #enforcedResources()} says whether it could); unbounded, with a warning, elsewhere.
   */
  public LocalSandboxProvider(LocalSandboxSettings settings, SandboxResources resources) {
    if (settings.isolation() == SandboxIsolation.BWRAP && SandboxIsolation.bwrap().isEmpty()) {
      throw new IllegalStateException(
          "the isolated sandbox provider needs bwrap, which is not installed"
              + " (Debian: apt-get install bubblewrap)");
    }
    OfflineNetwork.requireUsable(settings);
    this.settings = settings;
    this.locks = new SandboxLocks(settings.executor());
    this.cgroups = SandboxCgroups.detect(resources, Path.of("/proc/self/mounts"));
    if (resources.bounded() && cgroups.isEmpty()) {
      log.warn(
          "per-sandbox limits {} are not enforced: no writable cgroup v1 pids and memory"
              + " hierarchies (run as root with /sys/fs/cgroup/pids and /sys/fs/cgroup/memory"
              + " mounted read-write)",
          resources);
    }
    Path root = settings.rootDir();
    try {
      Files.createDirectories(root);
      // Only the backend's user may enter the root, whoever created it and however.
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create sandbox root " + root + " (mode 0700)", e);
    }
    for (Path legacy : settings.legacyRoots()) {
      long count = sandboxDirs(legacy).size();
      if (count > 0) {
        log.warn(
            "{} sandbox(es) still live under {} (an earlier sandbox root); they are used until"
                + " destroyed, new sandboxes go to {}",
            count,
            legacy,
            root);
      }
    }
  }

  /** {@code local} without isolation, {@code isolated} under bwrap. */
  @Override
  public String id() {
    return settings.isolation().providerId();
  }

  public LocalSandboxSettings settings() {
    return settings;
  }

  /** The bounds the kernel enforces on each sandbox; empty when sandboxes are unbounded. */
  public Optional<SandboxResources> enforcedResources() {
    return cgroups.map(SandboxCgroups::resources);
  }

  @Override
  public CompletableFuture<Sandbox> create(SandboxSpec spec) {
    return locked(spec.sandboxId(), () -> createNow(spec));
  }

  @Override
  public CompletableFuture<Sandbox> connect(String sandboxId) {
    return locked(sandboxId, () -> connectNow(sandboxId));
  }

  @Override
  public CompletableFuture<Sandbox> restart(String sandboxId, Map<String, String> env) {
    return locked(
        sandboxId,
        () -> {
          LocalSandboxRecord record =
              LocalSandboxRecord.read(dir(sandboxId))
                  .orElseThrow(() -> new SandboxNotFoundException(id(), sandboxId));
          stopNow(sandboxId); // the old server and every agent it started, with their env
          LocalSandboxRecord renewed = record.asStopped().withEnv(env);
          renewed.write(dir(sandboxId));
          log.info("sandbox {} restarting with env keys {}", sandboxId, env.keySet());
          return startNow(renewed);
        });
  }

  @Override
  public CompletableFuture<Void> stop(String sandboxId) {
    return locked(
        sandboxId,
        () -> {
          stopNow(sandboxId);
          return null;
        });
  }

  @Override
  public CompletableFuture<Void> destroy(String sandboxId) {
    return locked(
        sandboxId,
        () -> {
          stopNow(sandboxId);
          deleteRecursively(dir(sandboxId));
          log.info("sandbox {} destroyed", sandboxId);
          return null;
        });
  }

  @Override
  public CompletableFuture<SandboxState> state(String sandboxId) {
    return CompletableFuture.supplyAsync(() -> stateNow(sandboxId), settings.executor());
  }

  @Override
  public CompletableFuture<List<SandboxSummary>> list() {
    return CompletableFuture.supplyAsync(
        () -> {
          List<SandboxSummary> result = new ArrayList<>();
          roots()
              .flatMap(root -> sandboxDirs(root).stream())
              .map(d -> d.getFileName().toString())
              .distinct()
              .sorted()
              .forEach(id -> result.add(new SandboxSummary(id, stateNow(id))));
          return result;
        },
        settings.executor());
  }

  /**
   * Releases what this backend holds for its sandboxes (the relays to servers without network) as
   * its process would by ending; the sandboxes keep running, and the next {@link #connect} (of this
   * provider or a new backend's) reaches them again.
   */
  public void close() {
    relays.closeAll();
  }

  /** The pid of a sandbox's server while it runs (for operations and tests). */
  public Optional<Long> serverPid(String sandboxId) {
    return LocalSandboxRecord.read(dir(sandboxId))
        .filter(r -> !r.stopped() && isAlive(r))
        .map(LocalSandboxRecord::pid);
  }

  // ---- the blocking work, run on the executor under the sandbox's lock -----------------------

  private Sandbox createNow(SandboxSpec spec) {
    Path dir = dir(spec.sandboxId());
    if (Files.exists(dir.resolve(LocalSandboxRecord.FILE_NAME))) {
      throw new ConflictException(
          id() + " sandbox '" + spec.sandboxId() + "' exists already", 409, null);
    }
    LocalSandboxRecord record;
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      for (String sub : List.of("home", "work", "data", "state")) {
        Files.createDirectories(dir.resolve(sub));
      }
      record =
          new LocalSandboxRecord(
              1,
              spec.sandboxId(),
              settings.binary().toString(),
              newToken(),
              0,
              0,
              0,
              dir.resolve("home").toString(),
              dir.resolve("work").toString(),
              dir.resolve("data").toString(),
              spec.env(),
              spec.offlineAgent(),
              true,
              System.currentTimeMillis());
      record.write(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lay out sandbox " + dir, e);
    }
    try {
      return startNow(record);
    } catch (RuntimeException e) {
      // A sandbox that never came up leaves nothing behind.
      stopNow(spec.sandboxId());
      deleteRecursively(dir);
      throw e;
    }
  }

  private Sandbox connectNow(String sandboxId) {
    LocalSandboxRecord record =
        LocalSandboxRecord.read(dir(sandboxId))
            .orElseThrow(() -> new SandboxNotFoundException(id(), sandboxId));
    if (!record.stopped() && isAlive(record) && !confinedAsConfigured(record)) {
      // A server the other provider started (local before the switch to isolated, or back):
      // restart it on the same directories so it runs confined as configured now.
      log.warn(
          "sandbox {} server pid {} does not run with isolation {}; restarting it",
          sandboxId,
          record.pid(),
          settings.isolation());
      ProcessTree.terminate(record.pid(), settings.stopGrace());
    } else if (!record.stopped() && isAlive(record)) {
      SandboxAgentClient client = client(record);
      try {
        client.health().get(5, TimeUnit.SECONDS);
        log.info("sandbox {} reattached: pid {} port {}", sandboxId, record.pid(), record.port());
        // The record says running from the moment the server is up, before the offline agent is
        // in place: a backend killed in between left the stock echo mock in its slot. Installing
        // again is cheap and also brings the launcher in step with this backend's class path.
        installOfflineAgent(record, client);
        return sandbox(record, client);
      } catch (Exception e) {
        client.close();
        log.warn(
            "sandbox {} server pid {} does not answer; restarting it", sandboxId, record.pid());
        ProcessTree.terminate(record.pid(), settings.stopGrace());
      }
    }
    log.info("sandbox {} resuming on its existing directories", sandboxId);
    return startNow(record);
  }

  private Sandbox startNow(LocalSandboxRecord record) {
    Path dir = dir(record.sandboxId());
    // A relay to the server this one replaces: its port is the one to keep.
    relays.close(record.sandboxId());
    SandboxAgentServer.Started started =
        SandboxAgentServer.start(record, dir, settings, cgroups.orElse(null));
    processes.put(record.sandboxId(), started.process());
    if (started.relay() != null) {
      relays.put(record.sandboxId(), started.relay());
    }
    LocalSandboxRecord running =
        record.running(started.port(), started.pid(), started.pidStartTicks());
    running.write(dir);
    SandboxAgentClient client = client(running);
    installOfflineAgent(running, client);
    return sandbox(running, client);
  }

  /** Puts the offline agent in the {@code mock} slot when the sandbox's spec asked for it. */
  private static void installOfflineAgent(LocalSandboxRecord record, SandboxAgentClient client) {
    if (!record.offlineAgent()) {
      return;
    }
    try {
      OfflineAgentLauncher.install(client).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      client.close();
      throw new SandboxStartException(
          "sandbox " + record.sandboxId() + ": installing the offline agent failed", e);
    }
  }

  private void stopNow(String sandboxId) {
    Optional<LocalSandboxRecord> found = LocalSandboxRecord.read(dir(sandboxId));
    Process own = processes.remove(sandboxId);
    relays.close(sandboxId);
    if (found.isEmpty()) {
      return;
    }
    LocalSandboxRecord record = found.get();
    if (record.pid() > 0) {
      // Also when the server itself is gone: its orphaned children still carry its session and
      // group id. A recycled pid is left alone; only its session and group are searched.
      ProcessTree.terminate(record.pid(), settings.stopGrace(), isAlive(record));
    }
    if (own != null) {
      try {
        own.waitFor(settings.stopGrace().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // Whatever left the server's session and group is still in the sandbox's cgroup.
    cgroups.ifPresent(c -> c.end(sandboxId));
    if (!record.stopped()) {
      record.asStopped().write(dir(sandboxId));
      log.info("sandbox {} stopped", sandboxId);
    }
  }

  private SandboxState stateNow(String sandboxId) {
    return LocalSandboxRecord.read(dir(sandboxId))
        .map(r -> !r.stopped() && isAlive(r) ? SandboxState.RUNNING : SandboxState.STOPPED)
        .orElse(SandboxState.NOT_FOUND);
  }

  /** Whether the recorded server runs under bwrap exactly when this provider confines. */
  private boolean confinedAsConfigured(LocalSandboxRecord record) {
    String command;
    byte[] cmdline;
    try {
      cmdline = Files.readAllBytes(Path.of("/proc/" + record.pid() + "/cmdline"));
      int end = 0;
      while (end < cmdline.length && cmdline[end] != 0) {
        end++;
      }
      command = new String(cmdline, 0, end, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      return true; // gone meanwhile: the health check below decides
    }
    boolean confined = Path.of(command).getFileName().toString().equals("bwrap");
    return confined == (settings.isolation() == SandboxIsolation.BWRAP)
        && (!confined
            || OfflineNetwork.unshared(cmdline) == (settings.network() == SandboxNetwork.NONE));
  }

  /** Alive, and the same process we started: a pid reused by another program does not count. */
  private static boolean isAlive(LocalSandboxRecord record) {
    if (record.pid() <= 0 || !ProcessTree.isAlive(record.pid())) {
      return false;
    }
    return record.pidStartTicks() == 0
        || ProcessTree.startTicks(record.pid()).map(t -> t == record.pidStartTicks()).orElse(true);
  }

  private Sandbox sandbox(LocalSandboxRecord record, SandboxAgentClient client) {
    return new Sandbox(record.sandboxId(), id(), record.homeDir(), record.workDir(), client);
  }

  private SandboxAgentClient client(LocalSandboxRecord record) {
    int port =
        SandboxAgentServer.offline(settings)
            ? relays.port(record, dir(record.sandboxId()))
            : record.port();
    return SandboxAgentClient.builder(
            SandboxAgentEndpoint.of("http://127.0.0.1:" + port, record.token()))
        .executor(settings.executor())
        .build();
  }

  /**
   * The sandbox's directory: under the root, or under a legacy root where an earlier version made
   * it; a new sandbox's directory is under the root.
   */
  private Path dir(String sandboxId) {
    // Same rule as SandboxSpec: the id becomes a directory name, so no separators or dots-only.
    if (!sandboxId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
      throw new IllegalArgumentException("invalid sandbox id: " + sandboxId);
    }
    return roots()
        .map(root -> root.resolve(sandboxId))
        .filter(d -> Files.isRegularFile(d.resolve(LocalSandboxRecord.FILE_NAME)))
        .findFirst()
        .orElse(settings.rootDir().resolve(sandboxId));
  }

  private Stream<Path> roots() {
    return Stream.concat(Stream.of(settings.rootDir()), settings.legacyRoots().stream());
  }

  /** The sandbox directories (those with a record) directly under a root; none if it is absent. */
  private static List<Path> sandboxDirs(Path root) {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(root)) {
      return dirs.filter(d -> Files.isRegularFile(d.resolve(LocalSandboxRecord.FILE_NAME)))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private <T> CompletableFuture<T> locked(String sandboxId, Supplier<T> work) {
    return locks.run(sandboxId, work);
  }

  private static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    // Hex, not base64url: a token starting with '-' would be read as an option by the server's CLI.
    return HexFormat.of().formatHex(bytes);
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
