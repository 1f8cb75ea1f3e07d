package dev.foundry.sandbox.provider.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.sandbox.client.InvalidRequestException;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;
import dev.foundry.sandbox.process.ProcessInfo;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.SandboxStartException;
import dev.foundry.sandbox.provider.local.ProcessTree;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.StopReason;
import dev.foundry.sandbox.support.RemoteTestServer;
import dev.foundry.sandbox.support.TestSandboxes;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the remote provider adds to the contract: sandboxes of one shared server keep to their own
 * processes, sessions and directories in the provider's bookkeeping, and a stop ends a sandbox's
 * detached processes without touching its neighbour's.
 */
class RemoteSandboxProviderTest {

  RemoteTestServer server;
  ExecutorService executor;
  RemoteSandboxProvider provider;

  @BeforeEach
  void start() {
    server = new RemoteTestServer("remote");
    executor = Executors.newCachedThreadPool(SandboxAgentClient.daemonThreads("test-remote"));
    provider =
        new RemoteSandboxProvider(
            server.endpoint(), server.dir().resolve("sandboxes").toString(), executor);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      for (var s : provider.list().get(30, TimeUnit.SECONDS)) {
        provider.destroy(s.sandboxId()).get(30, TimeUnit.SECONDS);
      }
    } finally {
      provider.close();
      server.close();
      executor.shutdownNow();
    }
  }

  private Sandbox create(String id, boolean offlineAgent, Map<String, String> env) {
    return provider
        .create(SandboxSpec.of(id).withOfflineAgent(offlineAgent).withEnv(env))
        .orTimeout(60, TimeUnit.SECONDS)
        .join();
  }

  private static List<String> commandLines(long serverPid) {
    return ProcessTree.members(serverPid).stream()
        .map(m -> TestSandboxes.commandLine(m.pid()))
        .toList();
  }

  private static long pidOf(long serverPid, String commandLine) {
    return ProcessTree.members(serverPid).stream()
        .filter(m -> TestSandboxes.commandLine(m.pid()).equals(commandLine))
        .findFirst()
        .orElseThrow()
        .pid();
  }

  @Test
  void stoppingOneSandboxLeavesItsNeighbourRunningAndEndsItsDetachedProcesses() {
    Sandbox a = create("a", false, Map.of());
    Sandbox b = create("b", true, Map.of());
    a.client().processes().start(ProcessRequest.of("sleep", "300")).join();
    // Detached into its own session and out of the sandbox's directory: found by its marker.
    a.client()
        .processes()
        .run(ProcessRequest.shell("cd /tmp && setsid sleep 302 > /dev/null 2>&1 &"))
        .join()
        .orThrow("detach");
    b.client().processes().start(ProcessRequest.of("sleep", "301")).join();
    AgentSession session =
        AgentSession.open(b.client(), AgentSessionOptions.of("mock", b.workDir())).join();
    long serverPid = server.pid();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                commandLines(serverPid).containsAll(List.of("sleep 300 ", "sleep 301 "))
                    && findEverywhere("sleep 302 ") > 0);
    long a300 = pidOf(serverPid, "sleep 300 ");
    long b301 = pidOf(serverPid, "sleep 301 ");
    long detached = findEverywhere("sleep 302 ");

    // Each sees only its own processes and agent instances.
    assertThat(a.client().processes().list().join())
        .allSatisfy(p -> assertThat(p.cwd()).startsWith(provider.dir("a") + "/"))
        .extracting(ProcessInfo::args)
        .contains(List.of("300"))
        .doesNotContain(List.of("301"));
    assertThat(b.client().processes().list().join())
        .allSatisfy(p -> assertThat(p.cwd()).startsWith(provider.dir("b")));
    assertThat(a.client().acpServers().join()).isEmpty();
    assertThat(b.client().acpServers().join())
        .singleElement()
        .satisfies(s -> assertThat(s.serverId()).startsWith("b~"));

    provider.stop("a").orTimeout(30, TimeUnit.SECONDS).join();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !ProcessTree.isAlive(a300) && !ProcessTree.isAlive(detached));
    assertThat(ProcessTree.isAlive(b301)).as("b's process").isTrue();
    assertThat(ProcessTree.isAlive(serverPid)).as("the shared server").isTrue();
    assertThat(session.prompt("still here").result().join().stopReason())
        .isEqualTo(StopReason.END_TURN);
    session.close();
  }

  private static long findEverywhere(String commandLine) {
    try (var procs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
      return procs
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("\\d+"))
          .map(Long::parseLong)
          .filter(pid -> TestSandboxes.commandLine(pid).equals(commandLine))
          .findFirst()
          .orElse(0L);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void processesRunInTheSandboxWithItsHomeMarkerAndSpecVariablesAndNotOutsideIt() {
    Sandbox a = create("env-a", false, Map.of("GIT_AUTHOR_NAME", "Ada"));

    String out =
        a.client()
            .processes()
            .run(
                ProcessRequest.shell(
                    "pwd; echo $HOME; echo $FOUNDRY_SANDBOX_ID; echo $GIT_AUTHOR_NAME"))
            .join()
            .orThrow("env")
            .stdout();

    assertThat(out.split("\n")).containsExactly(a.workDir(), a.homeDir(), "env-a", "Ada");
    assertThatThrownBy(
            () -> a.client().processes().run(ProcessRequest.of("ls").withCwd("/tmp")).join())
        .hasCauseInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("outside this sandbox's directory");
    assertThatThrownBy(
            () ->
                a.client()
                    .processes()
                    .run(ProcessRequest.of("ls").withCwd(provider.dir("env-a") + "/../env-b"))
                    .join())
        .hasCauseInstanceOf(InvalidRequestException.class);
  }

  @Test
  void aServerThatDoesNotAnswerFailsCreateWithItsAddress() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    var nowhere =
        new RemoteSandboxProvider(
            SandboxAgentEndpoint.of("http://127.0.0.1:" + port, "t"), "/work/sandboxes", executor);
    assertThatThrownBy(() -> nowhere.create(SandboxSpec.of("x")).join())
        .hasCauseInstanceOf(SandboxStartException.class)
        .hasMessageContaining("http://127.0.0.1:" + port);
    nowhere.close();
  }

  @Test
  void aRootThatIsNotAnAbsoluteDirectoryIsRefused() {
    for (String root : List.of("sandboxes", "/", "/work/", "/work/../etc", "/a b")) {
      assertThatThrownBy(() -> new RemoteSandboxProvider(server.endpoint(), root, executor))
          .as(root)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
