package dev.foundry.sandbox.support;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxProvider.SandboxSummary;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.provider.local.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Real local sandboxes for a test class: a provider on a temporary root, an executor, and cleanup
 * that destroys every sandbox (and so every process) even when a test failed.
 */
public final class TestSandboxes implements AutoCloseable {

  private final Path root;
  private final ExecutorService executor;
  private final LocalSandboxProvider provider;
  private final List<Sandbox> handles = new ArrayList<>();

  public TestSandboxes(String name) {
    this(name, UnaryOperator.identity());
  }

  public TestSandboxes(String name, UnaryOperator<LocalSandboxSettings> customize) {
    try {
      root = Files.createTempDirectory("foundry-" + name + "-");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    executor = Executors.newCachedThreadPool(SandboxAgentClient.daemonThreads("test-" + name));
    provider =
        new LocalSandboxProvider(
            customize.apply(LocalSandboxSettings.of(root, SandboxAgentBinary.path(), executor)));
  }

  public LocalSandboxProvider provider() {
    return provider;
  }

  public ExecutorService executor() {
    return executor;
  }

  public Path root() {
    return root;
  }

  /** Creates a sandbox; {@code offlineAgent} false leaves the stock echo mock uninstalled. */
  public Sandbox create(String id, boolean offlineAgent) {
    Sandbox sandbox =
        provider
            .create(SandboxSpec.of(id).withOfflineAgent(offlineAgent))
            .orTimeout(60, TimeUnit.SECONDS)
            .join();
    handles.add(sandbox);
    return sandbox;
  }

  public long serverPid(String sandboxId) {
    return provider.serverPid(sandboxId).orElseThrow();
  }

  /** Live pids of the offline agent JVMs under a server. */
  public static List<Long> offlineAgentPids(long serverPid) {
    List<Long> pids = new ArrayList<>();
    for (ProcessTree.ProcessStat s : ProcessTree.members(serverPid)) {
      if (commandLine(s.pid()).contains("dev.foundry.sandbox.agent.OfflineAgent")) {
        pids.add(s.pid());
      }
    }
    return pids;
  }

  public static String commandLine(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")))
          .replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  /** A process's environment, {@code NAME=value} lines; empty if it is gone. */
  public static String environment(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")))
          .replace('\0', '\n');
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    handles.forEach(Sandbox::close);
    try {
      for (SandboxSummary s : provider.list().get(30, TimeUnit.SECONDS)) {
        provider.destroy(s.sandboxId()).get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cleanup of " + root + " failed", e);
    } finally {
      executor.shutdownNow();
      deleteQuietly(root);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: it is a temp dir
    }
  }

  public static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }
}
