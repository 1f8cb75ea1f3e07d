package dev.foundry.sandbox.provider.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.sandbox.client.ConflictException;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxNotFoundException;
import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.provider.SandboxProvider.SandboxSummary;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.SandboxState;
import dev.foundry.sandbox.provider.local.ProcessTree;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.PermissionHandler;
import dev.foundry.sandbox.session.SessionUpdate;
import dev.foundry.sandbox.session.StopReason;
import dev.foundry.sandbox.support.TestSandboxes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SandboxProvider} promises, run against real servers: each provider gets a
 * subclass. Create, health, a process run, connect after a backend restart, stop, resume, destroy,
 * list. A provider whose sandboxes share one server declares it ({@link #sharedServer()}).
 */
abstract class SandboxProviderContract {

  SandboxProvider provider;
  private final List<Sandbox> handles = new ArrayList<>();
  private final Map<String, Set<Long>> baselines = new HashMap<>();

  /** A provider on fresh state; called before each test. */
  abstract SandboxProvider newProvider();

  /** A second provider on the same state: the backend after a restart. */
  abstract SandboxProvider restartedBackend();

  /** Ends whatever the provider and the test left: every sandbox, every process. */
  abstract void release();

  abstract String expectedProviderId();

  /** The host pid of the server a provider (this one or a restarted one) says serves a sandbox. */
  abstract Optional<Long> serverPid(SandboxProvider seenBy, String sandboxId);

  /** Where the sandbox's files are, as a path of the test's machine. */
  abstract Path hostDir(String sandboxId);

  /**
   * Capability: one server serves every sandbox ({@code remote}). Stop and destroy then end the
   * sandbox's own processes (those started after it was created, below the server) and the server
   * keeps running; without it (one server per sandbox: {@code local}, {@code isolated}) they end
   * the server and its whole tree.
   */
  boolean sharedServer() {
    return false;
  }

  @BeforeEach
  void newProviderForTheTest() {
    provider = newProvider();
  }

  @AfterEach
  void cleanUp() {
    handles.forEach(Sandbox::close);
    release();
  }

  Sandbox create(String id, boolean offlineAgent) {
    return create(SandboxSpec.of(id).withOfflineAgent(offlineAgent));
  }

  Sandbox create(SandboxSpec spec) {
    String id = spec.sandboxId();
    if (sharedServer()) {
      long server = serverPid(provider, id).orElseThrow();
      baselines.put(
          id,
          ProcessTree.members(server).stream()
              .map(ProcessTree.ProcessStat::pid)
              .collect(Collectors.toSet()));
    }
    Sandbox sandbox = provider.create(spec).orTimeout(60, TimeUnit.SECONDS).join();
    handles.add(sandbox);
    return sandbox;
  }

  long serverPid(String sandboxId) {
    return serverPid(provider, sandboxId).orElseThrow();
  }

  /**
   * The host pids of a sandbox's processes: the server's whole tree, or with a shared server what
   * appeared in its tree since the sandbox was created (tests run one sandbox at a time).
   */
  List<Long> processesOf(String sandboxId) {
    long server = serverPid(sandboxId);
    Set<Long> baseline = sharedServer() ? baselines.get(sandboxId) : Set.of();
    return ProcessTree.members(server).stream()
        .map(ProcessTree.ProcessStat::pid)
        .filter(pid -> !baseline.contains(pid))
        .toList();
  }

  /** The command lines of a server's process tree, as seen from the host. */
  static List<String> commandLines(long serverPid) {
    return ProcessTree.members(serverPid).stream()
        .map(m -> TestSandboxes.commandLine(m.pid()))
        .toList();
  }

  private static String run(Sandbox sandbox, String script) {
    return sandbox
        .client()
        .processes()
        .run(ProcessRequest.shell(script))
        .join()
        .orThrow(script)
        .stdout();
  }

  @Test
  void createStartsAHealthyServerThatRunsProcessesInTheSandboxDirectories() {
    Sandbox sandbox = create("c-1", false);

    assertThat(provider.id()).isEqualTo(expectedProviderId());
    assertThat(sandbox.providerId()).isEqualTo(expectedProviderId());
    assertThat(provider.state("c-1").join()).isEqualTo(SandboxState.RUNNING);
    sandbox.client().health().join();
    assertThat(run(sandbox, "echo $HOME; pwd; echo hello > out.txt; cat out.txt").split("\n"))
        .containsExactly(sandbox.homeDir(), sandbox.workDir(), "hello");
    assertThatThrownBy(() -> provider.create(SandboxSpec.of("c-1")).join())
        .hasCauseInstanceOf(ConflictException.class);
  }

  @Test
  void aRestartedBackendReattachesAndListsIt() {
    Sandbox sandbox = create("c-2", false);
    long pid = serverPid("c-2");

    SandboxProvider after = restartedBackend();
    Sandbox again = after.connect("c-2").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(again.endpoint()).isEqualTo(sandbox.endpoint());
    assertThat(serverPid(after, "c-2")).contains(pid);
    assertThat(run(again, "echo back")).isEqualTo("back\n");
    assertThat(after.list().join())
        .containsExactly(new SandboxSummary("c-2", SandboxState.RUNNING));
    again.close();
  }

  @Test
  void stopEndsEveryProcessAndConnectResumesOnTheSameFilesWithTheOfflineAgent() {
    Sandbox sandbox = create("c-3", true);
    long pid = serverPid("c-3");
    run(sandbox, "echo kept > " + sandbox.workDir() + "/kept.txt");
    sandbox.client().processes().start(ProcessRequest.of("sleep", "300")).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> commandLines(pid).contains("sleep 300 "));
    List<Long> before = processesOf("c-3");
    assertThat(before).isNotEmpty();

    provider.stop("c-3").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(provider.state("c-3").join()).isEqualTo(SandboxState.STOPPED);
    assertThat(before).noneMatch(ProcessTree::isAlive);
    assertThat(ProcessTree.isAlive(pid)).as("the server lives on").isEqualTo(sharedServer());
    assertThat(provider.list().join())
        .containsExactly(new SandboxSummary("c-3", SandboxState.STOPPED));

    Sandbox resumed = restartedBackend().connect("c-3").orTimeout(30, TimeUnit.SECONDS).join();
    assertThat(run(resumed, "cat " + resumed.workDir() + "/kept.txt")).isEqualTo("kept\n");
    try (AgentSession session =
        AgentSession.open(resumed.client(), AgentSessionOptions.of("mock", resumed.workDir()))
            .join()) {
      assertThat(session.prompt("after resume").result().join().stopReason())
          .isEqualTo(StopReason.END_TURN);
    }
    resumed.close();
  }

  @Test
  void destroyEndsEveryProcessAndDeletesEveryFile() {
    Sandbox sandbox = create("c-4", false);
    long pid = serverPid("c-4");
    sandbox.client().processes().start(ProcessRequest.shell("sleep 300 & sleep 301")).join();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> commandLines(pid).containsAll(List.of("sleep 300 ", "sleep 301 ")));
    List<Long> before = processesOf("c-4");

    provider.destroy("c-4").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(before).noneMatch(ProcessTree::isAlive);
    assertThat(ProcessTree.isAlive(pid)).as("the server lives on").isEqualTo(sharedServer());
    assertThat(hostDir("c-4")).doesNotExist();
    assertThat(provider.state("c-4").join()).isEqualTo(SandboxState.NOT_FOUND);
    assertThat(provider.list().join()).isEmpty();
    assertThatThrownBy(() -> provider.connect("c-4").join())
        .hasCauseInstanceOf(SandboxNotFoundException.class);
    provider.destroy("c-4").join(); // idempotent
  }

  @Test
  void restartEndsEveryProcessAndGivesOnlyTheNewEnvironmentToProcessesAndAgents() {
    Sandbox sandbox =
        create(SandboxSpec.of("c-5").withEnv(Map.of("FOUNDRY_TEST_KEY", "old-key-5")));
    long pid = serverPid("c-5");
    assertThat(run(sandbox, "echo $FOUNDRY_TEST_KEY")).isEqualTo("old-key-5\n");
    sandbox.client().processes().start(ProcessRequest.of("sleep", "300")).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> commandLines(pid).contains("sleep 300 "));
    List<Long> before = processesOf("c-5");

    Sandbox renewed =
        provider
            .restart("c-5", Map.of("FOUNDRY_TEST_KEY", "new-key-5"))
            .orTimeout(60, TimeUnit.SECONDS)
            .join();
    handles.add(renewed);

    assertThat(before).noneMatch(ProcessTree::isAlive);
    assertThat(provider.state("c-5").join()).isEqualTo(SandboxState.RUNNING);
    assertThat(run(renewed, "echo $FOUNDRY_TEST_KEY")).isEqualTo("new-key-5\n");
    if (!sharedServer()) {
      // The agent's own shell tool sees what the server was started with.
      assertThat(agentRuns(renewed, "echo key=$FOUNDRY_TEST_KEY")).contains("key=new-key-5");
      List<String> environments =
          ProcessTree.members(serverPid("c-5")).stream()
              .map(m -> TestSandboxes.environment(m.pid()))
              .toList();
      assertThat(environments).isNotEmpty().noneMatch(env -> env.contains("old-key-5"));
    }
    assertThatThrownBy(() -> provider.restart("c-missing", Map.of()).join())
        .hasCauseInstanceOf(SandboxNotFoundException.class);
  }

  /** What the offline agent's shell tool prints for {@code command}, every permission granted. */
  static String agentRuns(Sandbox sandbox, String command) {
    StringBuilder output = new StringBuilder();
    try (AgentSession session =
        AgentSession.open(
                sandbox.client(),
                AgentSessionOptions.of("mock", sandbox.workDir())
                    .withPermissions(PermissionHandler.allowOnce()))
            .join()) {
      session
          .prompt(
              "/run " + command,
              update -> {
                if (update instanceof SessionUpdate.ToolCallUpdate u && u.content() != null) {
                  u.content().findValues("text").forEach(t -> output.append(t.asText()));
                }
              })
          .result()
          .orTimeout(60, TimeUnit.SECONDS)
          .join();
    }
    return output.toString();
  }
}
