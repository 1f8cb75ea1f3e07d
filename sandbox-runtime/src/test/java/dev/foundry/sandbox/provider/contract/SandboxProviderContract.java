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
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.provider.local.ProcessTree;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.StopReason;
import dev.foundry.sandbox.support.SandboxAgentBinary;
import dev.foundry.sandbox.support.TestSandboxes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SandboxProvider} promises, run against real servers: each provider gets a
 * subclass. Create, health, a process run, connect after a backend restart, stop, resume, destroy,
 * list.
 */
abstract class SandboxProviderContract {

  TestSandboxes sandboxes;
  SandboxProvider provider;

  /** The settings of the provider under test, from the plain local ones. */
  abstract UnaryOperator<LocalSandboxSettings> settings();

  abstract String expectedProviderId();

  @BeforeEach
  void newProvider() {
    sandboxes = new TestSandboxes("contract", settings());
    provider = sandboxes.provider();
  }

  @AfterEach
  void cleanUp() {
    sandboxes.close();
  }

  /** A second provider on the same root: the backend after a restart. */
  private SandboxProvider restartedBackend() {
    return new LocalSandboxProvider(
        settings()
            .apply(
                LocalSandboxSettings.of(
                    sandboxes.root(), SandboxAgentBinary.path(), sandboxes.executor())));
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
    Sandbox sandbox = sandboxes.create("c-1", false);

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
    Sandbox sandbox = sandboxes.create("c-2", false);
    long pid = sandboxes.serverPid("c-2");

    SandboxProvider after = restartedBackend();
    Sandbox again = after.connect("c-2").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(again.endpoint()).isEqualTo(sandbox.endpoint());
    assertThat(((LocalSandboxProvider) after).serverPid("c-2")).contains(pid);
    assertThat(run(again, "echo back")).isEqualTo("back\n");
    assertThat(after.list().join())
        .containsExactly(new SandboxSummary("c-2", SandboxState.RUNNING));
    again.close();
  }

  @Test
  void stopEndsEveryProcessAndConnectResumesOnTheSameFilesWithTheOfflineAgent() {
    Sandbox sandbox = sandboxes.create("c-3", true);
    long pid = sandboxes.serverPid("c-3");
    run(sandbox, "echo kept > " + sandbox.workDir() + "/kept.txt");
    sandbox.client().processes().start(ProcessRequest.of("sleep", "300")).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> commandLines(pid).contains("sleep 300 "));
    List<Long> before =
        ProcessTree.members(pid).stream().map(ProcessTree.ProcessStat::pid).toList();

    provider.stop("c-3").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(provider.state("c-3").join()).isEqualTo(SandboxState.STOPPED);
    assertThat(before).noneMatch(ProcessTree::isAlive);
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
    Sandbox sandbox = sandboxes.create("c-4", false);
    long pid = sandboxes.serverPid("c-4");
    sandbox.client().processes().start(ProcessRequest.shell("sleep 300 & sleep 301")).join();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> commandLines(pid).containsAll(List.of("sleep 300 ", "sleep 301 ")));
    List<Long> before =
        ProcessTree.members(pid).stream().map(ProcessTree.ProcessStat::pid).toList();

    provider.destroy("c-4").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(before).noneMatch(ProcessTree::isAlive);
    assertThat(sandboxes.root().resolve("c-4")).doesNotExist();
    assertThat(provider.state("c-4").join()).isEqualTo(SandboxState.NOT_FOUND);
    assertThat(provider.list().join()).isEmpty();
    assertThatThrownBy(() -> provider.connect("c-4").join())
        .hasCauseInstanceOf(SandboxNotFoundException.class);
    provider.destroy("c-4").join(); // idempotent
  }
}
