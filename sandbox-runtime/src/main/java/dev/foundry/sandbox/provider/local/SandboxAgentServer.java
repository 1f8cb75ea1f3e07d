package dev.foundry.sandbox.provider.local;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;
import dev.foundry.sandbox.provider.SandboxStartException;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one sandbox-agent server process for a local sandbox: {@code setsid} makes it the leader
 * of a new session and process group (so {@link ProcessTree} can end everything it starts), it
 * binds 127.0.0.1 on a port picked here ({@code --port 0} would hide the real one), requires a
 * bearer token, and logs to {@code server.log} in the sandbox directory. Its environment is {@link
 * SandboxEnvironment}'s allow-list, never a copy of the backend's; its token is blanked in its
 * command line as soon as it is healthy ({@link CommandLine}). With {@link SandboxIsolation#BWRAP}
 * the server runs under {@code bwrap} ({@link BwrapCommand}): the recorded pid is bwrap's, whose
 * descendants are the sandbox's whole process tree. With {@link SandboxNetwork#NONE} as well, the
 * server listens in the sandbox's own network namespace and is reached through {@link
 * OfflineNetwork}'s socket and a {@link ServerSocketRelay}, which the result carries.
 */
final class SandboxAgentServer {

  private static final Logger log = LoggerFactory.getLogger(SandboxAgentServer.class);
  private static final int PORT_ATTEMPTS = 3;

  /**
   * A started, healthy server, reached on {@code port} of 127.0.0.1; {@code relay} is the backend's
   * way to it when it has no network (null otherwise), and {@code port} is then the relay's.
   */
  record Started(
      Process process, int port, long pid, long pidStartTicks, ServerSocketRelay relay) {}

  private SandboxAgentServer() {}

  static Started start(
      LocalSandboxRecord record,
      Path sandboxDir,
      LocalSandboxSettings settings,
      SandboxCgroups cgroups) {
    if (offline(settings)) {
      // The sandbox's loopback is its own: the port is always free there.
      return startOn(OfflineNetwork.PORT, record, sandboxDir, settings, cgroups);
    }
    SandboxStartException last = null;
    for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      // Prefer the old port so that a resumed sandbox keeps its URL; another process may own it.
      int port =
          attempt == 1 && record.port() > 0 && portFree(record.port()) ? record.port() : freePort();
      try {
        return startOn(port, record, sandboxDir, settings, cgroups);
      } catch (PortTakenException e) {
        log.info(
            "port {} was taken before sandbox {} could bind it; retrying",
            port,
            record.sandboxId());
        last = new SandboxStartException(e.getMessage());
      }
    }
    throw last;
  }

  private static Started startOn(
      int port,
      LocalSandboxRecord record,
      Path sandboxDir,
      LocalSandboxSettings settings,
      SandboxCgroups cgroups) {
    Path logFile = sandboxDir.resolve("server.log");
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))
        || Files.isExecutable(Path.of("/bin/setsid"))) {
      command.add("setsid");
    } else {
      log.warn(
          "setsid not found: stopping sandbox {} may miss reparented children", record.sandboxId());
    }
    command.addAll(
        List.of(
            record.binary(),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            Integer.toString(port),
            "--token",
            record.token(),
            "--no-telemetry"));
    if (offline(settings)) {
      OfflineNetwork.prepare(sandboxDir);
      command.addAll(command.indexOf(record.binary()), OfflineNetwork.wrapper());
    }
    if (settings.isolation() == SandboxIsolation.BWRAP) {
      command.addAll(
          command.indexOf(offline(settings) ? "/bin/sh" : record.binary()),
          BwrapCommand.args(record, sandboxDir, settings));
    }
    if (cgroups != null) {
      // Joins the sandbox's cgroups first: every process it will ever run is counted there.
      command = cgroups.wrap(record.sandboxId(), command);
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(new File(record.workDir()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .redirectErrorStream(true);
    // Built from nothing: the backend's own variables (secrets included) never reach a sandbox.
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(
        SandboxEnvironment.of(
            settings.hostEnvironment(),
            sandboxDir,
            record,
            Map.of(
                "SANDBOX_AGENT_LOG_STDOUT",
                "1",
                "SANDBOX_AGENT_ACP_REQUEST_TIMEOUT_MS",
                Long.toString(settings.acpRequestTimeout().toMillis()))));
    try {
      Files.createDirectories(SandboxEnvironment.tmpDir(sandboxDir));
    } catch (IOException e) {
      throw new SandboxStartException("cannot create " + SandboxEnvironment.tmpDir(sandboxDir), e);
    }

    long logOffset = size(logFile);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new SandboxStartException("cannot start " + record.binary(), e);
    }
    ServerSocketRelay relay =
        offline(settings)
            ? ServerSocketRelay.open(
                record.sandboxId(), OfflineNetwork.hostSocket(sandboxDir), record.port())
            : null;
    int reachedOn = relay == null ? port : relay.port();
    SandboxAgentEndpoint endpoint =
        SandboxAgentEndpoint.of("http://127.0.0.1:" + reachedOn, record.token());
    long deadline = System.nanoTime() + settings.startTimeout().toNanos();
    try (SandboxAgentClient probe =
        SandboxAgentClient.builder(endpoint).executor(settings.executor()).build()) {
      while (true) {
        if (!process.isAlive()) {
          closeQuietly(relay);
          String tail = logTail(logFile, logOffset);
          if (tail.contains("Address in use")) {
            throw new PortTakenException("127.0.0.1:" + port + " is in use");
          }
          throw new SandboxStartException(
              "sandbox-agent for "
                  + record.sandboxId()
                  + " exited with "
                  + process.exitValue()
                  + " before it was healthy; log:\n"
                  + tail);
        }
        try {
          probe.health(Duration.ofMillis(500)).get(1, TimeUnit.SECONDS);
          break;
        } catch (Exception notYet) {
          if (System.nanoTime() > deadline) {
            closeQuietly(relay);
            ProcessTree.terminate(process.pid(), Duration.ofSeconds(1));
            throw new SandboxStartException(
                "sandbox-agent for "
                    + record.sandboxId()
                    + " not healthy after "
                    + settings.startTimeout()
                    + "; log:\n"
                    + logTail(logFile, logOffset));
          }
          sleep(10);
        }
      }
    }
    long pid = process.pid();
    // 0.4.2 takes its token only as --token (no variable, no file): now that the server has parsed
    // it, blank it in the server's argv so that /proc/<pid>/cmdline no longer shows it. Under bwrap
    // the pid is bwrap's, and bwrap's own processes (outside and init inside) carry the same argv.
    boolean blanked = true;
    for (ProcessTree.ProcessStat member : ProcessTree.members(pid, true)) {
      blanked &= CommandLine.blank(member.pid(), record.token());
    }
    if (!blanked) {
      log.warn(
          "sandbox {}: the server's token could not be removed from /proc/{}/cmdline; local users"
              + " can read it there",
          record.sandboxId(),
          pid);
    }
    long ticks = ProcessTree.startTicks(pid).orElse(0L);
    if (relay == null) {
      log.info("sandbox {} server up: pid {} port {}", record.sandboxId(), pid, port);
    } else {
      log.info(
          "sandbox {} server up without network: pid {}, reached through {} on port {}",
          record.sandboxId(),
          pid,
          OfflineNetwork.hostSocket(sandboxDir),
          relay.port());
    }
    return new Started(process, reachedOn, pid, ticks, relay);
  }

  /** Whether the sandbox gets a network namespace of its own (only under bwrap). */
  static boolean offline(LocalSandboxSettings settings) {
    return settings.network() == SandboxNetwork.NONE
        && settings.isolation() == SandboxIsolation.BWRAP;
  }

  private static void closeQuietly(ServerSocketRelay relay) {
    if (relay != null) {
      relay.close();
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new SandboxStartException("no free port on 127.0.0.1", e);
    }
  }

  private static boolean portFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static long size(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** What this start wrote to the log (the file is appended to across restarts), last 40 lines. */
  static String logTail(Path logFile, long fromOffset) {
    try {
      byte[] all = Files.readAllBytes(logFile);
      String text =
          new String(
              all,
              (int) Math.min(fromOffset, all.length),
              (int) Math.max(0, all.length - fromOffset));
      String[] lines = text.split("\n");
      int from = Math.max(0, lines.length - 40);
      return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxStartException("interrupted while starting a sandbox", e);
    }
  }

  private static final class PortTakenException extends RuntimeException {
    PortTakenException(String message) {
      super(message);
    }
  }
}
