package dev.foundry.sandbox.provider.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.process.ProcessRunResult;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.support.SandboxAgentBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Per-sandbox bounds through cgroups, over the real server, for both local providers: a fork past
 * the process bound fails, a process past the memory bound is killed by the kernel, and a process
 * that left the server's session, group and tree still ends with the sandbox.
 */
class SandboxResourcesTest {

  private static final long MAX_PROCESSES = 48;
  private static final long MAX_MEMORY = 96L * 1024 * 1024;

  Path root;
  ExecutorService executor;
  LocalSandboxProvider provider;
  final List<Sandbox> handles = new ArrayList<>();

  @BeforeEach
  void directories() throws IOException {
    root = Files.createTempDirectory("foundry-resources-");
    executor = Executors.newCachedThreadPool(SandboxAgentClient.daemonThreads("resources"));
  }

  @AfterEach
  void stop() throws Exception {
    handles.forEach(Sandbox::close);
    for (var s : provider.list().get(30, TimeUnit.SECONDS)) {
      provider.destroy(s.sandboxId()).get(30, TimeUnit.SECONDS);
    }
    executor.shutdownNow();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private Sandbox create(SandboxIsolation isolation, String id) {
    provider =
        new LocalSandboxProvider(
            LocalSandboxSettings.of(root, SandboxAgentBinary.path(), executor)
                .withIsolation(isolation),
            new SandboxResources(MAX_PROCESSES, MAX_MEMORY));
    assertThat(provider.enforcedResources())
        .as("cgroups are writable on this host (root, cgroup v1 pids and memory)")
        .contains(new SandboxResources(MAX_PROCESSES, MAX_MEMORY));
    Sandbox sandbox =
        provider
            .create(SandboxSpec.of(id).withOfflineAgent(false))
            .orTimeout(60, TimeUnit.SECONDS)
            .join();
    handles.add(sandbox);
    return sandbox;
  }

  private static ProcessRunResult sh(Sandbox sandbox, String script) {
    return sandbox.client().processes().run(ProcessRequest.shell(script)).join();
  }

  @ParameterizedTest
  @EnumSource(SandboxIsolation.class)
  void aForkPastTheProcessBoundFails(SandboxIsolation isolation) {
    Sandbox sandbox = create(isolation, "procs-" + isolation.providerId());

    ProcessRunResult result =
        sh(
            sandbox,
            "for i in $(seq 1 200); do sleep 30 >/dev/null 2>&1 & done;"
                + " echo started; kill $(jobs -p) 2>/dev/null; echo done");

    assertThat(result.stderr() + result.stdout()).containsAnyOf("fork", "Resource");
    Path group =
        Path.of("/sys/fs/cgroup/pids", SandboxCgroups.PARENT, "procs-" + isolation.providerId());
    assertThat(group.resolve("pids.max")).hasContent(Long.toString(MAX_PROCESSES));
  }

  @ParameterizedTest
  @EnumSource(SandboxIsolation.class)
  void aProcessPastTheMemoryBoundIsKilled(SandboxIsolation isolation) {
    Sandbox sandbox = create(isolation, "memory-" + isolation.providerId());

    // tail -n keeps a line without a newline whole: 300 MB of zeros must fit in memory at once.
    ProcessRunResult big =
        sh(sandbox, "head -c 300000000 /dev/zero | tail -n 1 >/dev/null; echo exit=$?");
    ProcessRunResult small =
        sh(sandbox, "head -c 10000000 /dev/zero | tail -n 1 >/dev/null; echo exit=$?");

    assertThat(big.stdout()).contains("exit=137"); // SIGKILL from the kernel's OOM killer
    assertThat(small.stdout()).contains("exit=0");
  }

  @ParameterizedTest
  @EnumSource(SandboxIsolation.class)
  void aProcessThatLeftTheTreeEndsWithTheSandbox(SandboxIsolation isolation) {
    Sandbox sandbox = create(isolation, "escape-" + isolation.providerId());
    String marker = "sleep " + (200_000 + new Random().nextInt(700_000));

    // A double fork into a new session: no longer a descendant, session or group member of the
    // server (for local), reparented away from it.
    sh(sandbox, "(setsid sh -c 'exec " + marker + "' >/dev/null 2>&1 &) ; echo ok");
    await().atMost(Duration.ofSeconds(10)).until(() -> running(marker));

    provider.stop("escape-" + isolation.providerId()).orTimeout(30, TimeUnit.SECONDS).join();

    await().atMost(Duration.ofSeconds(10)).until(() -> !running(marker));
    assertThat(
            Path.of(
                "/sys/fs/cgroup/pids", SandboxCgroups.PARENT, "escape-" + isolation.providerId()))
        .doesNotExist();
  }

  private static boolean running(String commandLine) {
    return ProcessHandle.allProcesses()
        .anyMatch(p -> p.info().commandLine().map(c -> c.endsWith(commandLine)).orElse(false));
  }
}
