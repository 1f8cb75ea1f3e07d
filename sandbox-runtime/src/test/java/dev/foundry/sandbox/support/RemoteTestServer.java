package dev.foundry.sandbox.support;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;
import dev.foundry.sandbox.provider.local.ProcessTree;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A sandbox-agent server started the way an operator starts one for the {@code remote} provider:
 * {@code sandbox-agent server --host 127.0.0.1 --port P --token T --no-telemetry}, in its own
 * session, with its own HOME and data directory under a temporary directory. {@link #close} ends it
 * and everything it started.
 */
public final class RemoteTestServer implements AutoCloseable {

  private final Path dir;
  private final Process process;
  private final SandboxAgentEndpoint endpoint;

  public RemoteTestServer(String name) {
    try {
      dir = Files.createTempDirectory("foundry-remote-" + name + "-");
      Files.createDirectories(dir.resolve("home"));
      Files.createDirectories(dir.resolve("data"));
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      byte[] bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
      String token = HexFormat.of().formatHex(bytes);
      ProcessBuilder pb =
          new ProcessBuilder(
                  "setsid",
                  SandboxAgentBinary.path().toString(),
                  "server",
                  "--host",
                  "127.0.0.1",
                  "--port",
                  Integer.toString(port),
                  "--token",
                  token,
                  "--no-telemetry")
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("server.log").toFile());
      Map<String, String> env = pb.environment();
      env.clear();
      env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
      env.put("HOME", dir.resolve("home").toString());
      env.put("XDG_DATA_HOME", dir.resolve("data").toString());
      env.put("SANDBOX_AGENT_LOG_STDOUT", "1");
      process = pb.start();
      endpoint = SandboxAgentEndpoint.of("http://127.0.0.1:" + port, token);
      awaitHealth();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start a sandbox-agent server", e);
    }
  }

  private void awaitHealth() {
    try (SandboxAgentClient client = SandboxAgentClient.builder(endpoint).build()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try {
          client.health(Duration.ofSeconds(1)).get(2, TimeUnit.SECONDS);
          return;
        } catch (Exception e) {
          if (!process.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "sandbox-agent server not healthy; see " + dir.resolve("server.log"), e);
          }
        }
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public SandboxAgentEndpoint endpoint() {
    return endpoint;
  }

  public long pid() {
    return process.pid();
  }

  /** The server's own temporary directory (its cwd; sandboxes may live below it). */
  public Path dir() {
    return dir;
  }

  @Override
  public void close() {
    ProcessTree.terminate(process.pid(), Duration.ofSeconds(5));
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp dir
    }
  }
}
