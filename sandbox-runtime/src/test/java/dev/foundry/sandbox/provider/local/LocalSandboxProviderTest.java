package dev.foundry.sandbox.provider.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.foundry.sandbox.client.ConflictException;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxNotFoundException;
import dev.foundry.sandbox.provider.SandboxProvider.SandboxSummary;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.SandboxState;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.StopReason;
import dev.foundry.sandbox.support.SandboxAgentBinary;
import dev.foundry.sandbox.support.TestSandboxes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local provider's lifecycle against real server processes and the process table. */
class LocalSandboxProviderTest {

  TestSandboxes sandboxes;
  LocalSandboxProvider provider;

  @BeforeEach
  void newProvider() {
    sandboxes = new TestSandboxes("provider");
    provider = sandboxes.provider();
  }

  @AfterEach
  void cleanUp() {
    sandboxes.close();
  }

  /** A second provider on the same root: the backend after a restart. */
  private LocalSandboxProvider restartedBackend() {
    return new LocalSandboxProvider(
        LocalSandboxSettings.of(sandboxes.root(), SandboxAgentBinary.path(), sandboxes.executor()));
  }

  @Test
  void aCreatedSandboxRunsItsOwnTokenProtectedServerAndIsRecorded() throws Exception {
    Sandbox sandbox = sandboxes.create("task-1", true);

    assertThat(provider.state("task-1").join()).isEqualTo(SandboxState.RUNNING);
    assertThat(sandbox.endpoint().baseUri().getHost()).isEqualTo("127.0.0.1");
    assertThat(sandbox.endpoint().token()).hasSizeGreaterThan(30);
    sandbox.client().health().join();
    Path record = sandboxes.root().resolve("task-1/sandbox.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(record)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(record)).contains(sandbox.endpoint().token());
    long pid = sandboxes.serverPid("task-1");
    ProcessTree.ProcessStat stat = ProcessTree.stat(pid).orElseThrow();
    assertThat(stat.pgid()).isEqualTo(pid);
    assertThat(stat.sid()).isEqualTo(pid);
    // HOME, work dir and data dir are the sandbox's own.
    String env =
        sandbox
            .client()
            .processes()
            .run(
                dev.foundry.sandbox.process.ProcessRequest.shell(
                    "echo $HOME; pwd; echo $XDG_DATA_HOME"))
            .join()
            .stdout();
    assertThat(env.split("\n"))
        .containsExactly(
            sandbox.homeDir(),
            sandbox.workDir(),
            sandboxes.root().resolve("task-1/data").toString());
    assertThatThrownBy(() -> provider.create(SandboxSpec.of("task-1")).join())
        .hasCauseInstanceOf(ConflictException.class);
  }

  @Test
  void aRestartedBackendReattachesToTheRunningServer() {
    Sandbox sandbox = sandboxes.create("task-2", false);
    long pid = sandboxes.serverPid("task-2");

    LocalSandboxProvider after = restartedBackend();
    Sandbox again = after.connect("task-2").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(after.serverPid("task-2")).contains(pid);
    assertThat(again.endpoint()).isEqualTo(sandbox.endpoint());
    again.client().health().join();
    assertThat(after.list().join())
        .containsExactly(new SandboxSummary("task-2", SandboxState.RUNNING));
    again.close();
  }

  @Test
  void aBackendKilledBeforeTheOfflineAgentWasInPlaceGetsItOnReattach() {
    Sandbox sandbox = sandboxes.create("task-6", true);
    long pid = sandboxes.serverPid("task-6");
    // The state a kill -9 leaves between "server up and recorded" and "offline agent installed":
    // the stock echo mock in the slot, which never opens a session.
    sandbox.client().installAgent("mock", true).orTimeout(30, TimeUnit.SECONDS).join();
    sandbox.close();

    Sandbox again = restartedBackend().connect("task-6").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(sandboxes.serverPid("task-6")).isEqualTo(pid);
    try (AgentSession session =
        AgentSession.open(again.client(), AgentSessionOptions.of("mock", again.workDir()))
            .orTimeout(30, TimeUnit.SECONDS)
            .join()) {
      assertThat(session.prompt("still offline?").result().join().stopReason())
          .isEqualTo(StopReason.END_TURN);
    }
    again.close();
  }

  @Test
  void aStoppedSandboxLeavesNoProcessAndResumesOnItsFilesWithTheOfflineAgent() throws Exception {
    Sandbox sandbox = sandboxes.create("task-3", true);
    long pid = sandboxes.serverPid("task-3");
    sandbox.client().files().writeText(sandbox.workDir() + "/kept.txt", "still here").join();
    sandbox
        .client()
        .processes()
        .start(dev.foundry.sandbox.process.ProcessRequest.of("sleep", "300"))
        .join();
    assertThat(ProcessTree.members(pid)).hasSizeGreaterThanOrEqualTo(2);

    provider.stop("task-3").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(provider.state("task-3").join()).isEqualTo(SandboxState.STOPPED);
    assertThat(ProcessTree.members(pid)).isEmpty();

    Sandbox resumed = restartedBackend().connect("task-3").orTimeout(30, TimeUnit.SECONDS).join();
    assertThat(resumed.client().files().readText(resumed.workDir() + "/kept.txt").join())
        .isEqualTo("still here");
    try (AgentSession session =
        AgentSession.open(resumed.client(), AgentSessionOptions.of("mock", resumed.workDir()))
            .join()) {
      assertThat(session.prompt("after resume").result().join().stopReason())
          .isEqualTo(StopReason.END_TURN);
    }
    resumed.close();
  }

  @Test
  void aServerThatDiedIsRestartedOnConnect() {
    sandboxes.create("task-4", false);
    long pid = sandboxes.serverPid("task-4");
    ProcessTree.terminate(pid, Duration.ofSeconds(2));
    assertThat(provider.state("task-4").join()).isEqualTo(SandboxState.STOPPED);

    Sandbox back = provider.connect("task-4").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(provider.serverPid("task-4")).isPresent().get().isNotEqualTo(pid);
    back.client().health().join();
    back.close();
  }

  @Test
  void destroyRemovesEveryProcessAndFileOfTheSandbox() throws Exception {
    Sandbox sandbox = sandboxes.create("task-5", true);
    long pid = sandboxes.serverPid("task-5");
    sandbox
        .client()
        .processes()
        .start(dev.foundry.sandbox.process.ProcessRequest.shell("sleep 300 & sleep 301"))
        .join();
    AgentSession session =
        AgentSession.open(sandbox.client(), AgentSessionOptions.of("mock", sandbox.workDir()))
            .join();
    List<Long> before =
        ProcessTree.members(pid).stream().map(ProcessTree.ProcessStat::pid).toList();
    assertThat(before).hasSizeGreaterThanOrEqualTo(4); // server, agent JVM, sh, sleeps

    provider.destroy("task-5").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(before).noneMatch(ProcessTree::isAlive);
    assertThat(ProcessTree.members(pid)).isEmpty();
    assertThat(sandboxes.root().resolve("task-5")).doesNotExist();
    assertThat(provider.state("task-5").join()).isEqualTo(SandboxState.NOT_FOUND);
    assertThatThrownBy(() -> provider.connect("task-5").join())
        .hasCauseInstanceOf(SandboxNotFoundException.class);
    provider.destroy("task-5").join(); // idempotent
    session.closeAsync().join();
  }
}
