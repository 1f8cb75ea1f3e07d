package dev.foundry.sandbox.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.sandbox.client.AgentProcessExitedException;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.session.SessionUpdate.AgentMessageChunk;
import dev.foundry.sandbox.session.SessionUpdate.ToolCall;
import dev.foundry.sandbox.session.SessionUpdate.ToolCallUpdate;
import dev.foundry.sandbox.support.TestSandboxes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Full sessions with Foundry's offline agent, installed in the mock slot of a real server. */
class OfflineAgentSessionTest {

  static TestSandboxes sandboxes;
  static Sandbox sandbox;

  @BeforeAll
  static void startSandbox() {
    sandboxes = new TestSandboxes("offline");
    sandbox = sandboxes.create("offline-box", true);
  }

  @AfterAll
  static void destroySandbox() {
    sandboxes.close();
  }

  private static AgentSession open(AgentSessionOptions options) {
    return AgentSession.open(sandbox.client(), options).orTimeout(30, TimeUnit.SECONDS).join();
  }

  private static AgentSessionOptions options() {
    return AgentSessionOptions.of("mock", sandbox.workDir());
  }

  private static TurnResult finish(AgentTurn turn) {
    return turn.result().orTimeout(30, TimeUnit.SECONDS).join();
  }

  @Test
  void aPromptStreamsTheReplyInChunksAndEndsTheTurn() {
    List<SessionUpdate> seenBySession = new CopyOnWriteArrayList<>();
    try (AgentSession session = open(options().withListener(seenBySession::add))) {
      assertThat(session.sessionId()).startsWith("offline-");
      assertThat(session.agentInfo().path("agentInfo").path("name").asText())
          .isEqualTo("foundry-offline-agent");

      List<SessionUpdate> seenByTurn = new CopyOnWriteArrayList<>();
      TurnResult result = finish(session.prompt("hello there agent", seenByTurn::add));

      assertThat(result.stopReason()).isEqualTo(StopReason.END_TURN);
      assertThat(result.agentText()).isEqualTo("You said: hello there agent");
      assertThat(result.updates())
          .filteredOn(u -> u instanceof AgentMessageChunk)
          .hasSizeGreaterThan(2);
      assertThat(result.updates())
          .filteredOn(u -> !(u instanceof SessionUpdate.AvailableCommandsUpdate))
          .first()
          .isInstanceOf(SessionUpdate.AgentThoughtChunk.class);
      // Everything of the turn was delivered before the result completed.
      assertThat(seenByTurn).containsExactlyElementsOf(result.updates());
      assertThat(seenBySession).first().isInstanceOf(SessionUpdate.AvailableCommandsUpdate.class);
      assertThat(seenBySession).containsSubsequence(result.updates());
    }
  }

  @Test
  void aToolCallAsksPermissionAndReallyEditsTheFileInTheWorkDir() throws Exception {
    List<PermissionRequest> asked = new CopyOnWriteArrayList<>();
    PermissionHandler recordingAllow =
        request -> {
          asked.add(request);
          return PermissionHandler.allowOnce().decide(request);
        };
    try (AgentSession session = open(options().withPermissions(recordingAllow))) {
      TurnResult result =
          finish(session.prompt("/write notes/hello.txt Hello from the offline agent"));

      assertThat(result.stopReason()).isEqualTo(StopReason.END_TURN);
      Path file = Path.of(sandbox.workDir(), "notes/hello.txt");
      assertThat(Files.readString(file)).isEqualTo("Hello from the offline agent\n");
      assertThat(asked)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.title()).isEqualTo("Write notes/hello.txt");
                assertThat(r.option("allow_once")).isPresent();
              });
      ToolCall call =
          (ToolCall)
              result.updates().stream()
                  .filter(u -> u instanceof ToolCall)
                  .findFirst()
                  .orElseThrow();
      assertThat(call.toolKind()).isEqualTo("edit");
      assertThat(call.toolCallId()).isEqualTo(asked.get(0).toolCallId());
      assertThat(result.updates())
          .filteredOn(u -> u instanceof ToolCallUpdate)
          .extracting(u -> ((ToolCallUpdate) u).status())
          .containsExactly("in_progress", "completed");
      ToolCallUpdate done =
          (ToolCallUpdate)
              result.updates().stream()
                  .filter(
                      u ->
                          u instanceof ToolCallUpdate
                              && "completed".equals(((ToolCallUpdate) u).status()))
                  .findFirst()
                  .orElseThrow();
      assertThat(done.content().get(0).path("type").asText()).isEqualTo("diff");
      assertThat(done.content().get(0).path("newText").asText())
          .isEqualTo("Hello from the offline agent\n");
      assertThat(result.updates()).anyMatch(u -> u instanceof SessionUpdate.Plan);
      // The same file through the sandbox's own file API.
      assertThat(sandbox.client().files().readText(file.toString()).join())
          .isEqualTo("Hello from the offline agent\n");
    }
  }

  @Test
  void aRejectedPermissionLeavesTheFileUntouched() {
    try (AgentSession session = open(options().withPermissions(PermissionHandler.rejectOnce()))) {
      TurnResult result = finish(session.prompt("/write rejected.txt must not exist"));

      assertThat(result.stopReason()).isEqualTo(StopReason.END_TURN);
      assertThat(Path.of(sandbox.workDir(), "rejected.txt")).doesNotExist();
      assertThat(result.agentText()).contains("left rejected.txt unchanged");
      assertThat(result.updates())
          .filteredOn(u -> u instanceof ToolCallUpdate)
          .extracting(u -> ((ToolCallUpdate) u).status())
          .containsExactly("failed");
    }
  }

  @Test
  void cancelEndsARunningTurnWithCancelled() {
    try (AgentSession session = open(options())) {
      List<SessionUpdate> chunks = new CopyOnWriteArrayList<>();
      AgentTurn turn = session.prompt("/slow 200", chunks::add);
      await().atMost(Duration.ofSeconds(20)).until(() -> chunks.size() >= 2);

      turn.cancel().join();

      TurnResult result = finish(turn);
      assertThat(result.stopReason()).isEqualTo(StopReason.CANCELLED);
      assertThat(result.agentText()).contains("cancelled after");
      // The session stays usable for the next turn.
      assertThat(finish(session.prompt("still there?")).stopReason())
          .isEqualTo(StopReason.END_TURN);
    }
  }

  @Test
  void cancelAnswersAnOpenPermissionRequestWithCancelled() {
    CompletableFuture<PermissionDecision> neverDecided = new CompletableFuture<>();
    List<PermissionRequest> asked = new CopyOnWriteArrayList<>();
    try (AgentSession session =
        open(
            options()
                .withPermissions(
                    r -> {
                      asked.add(r);
                      return neverDecided;
                    }))) {
      AgentTurn turn = session.prompt("/write pending.txt never written");
      await().atMost(Duration.ofSeconds(20)).until(() -> !asked.isEmpty());

      turn.cancel().join();

      assertThat(finish(turn).stopReason()).isEqualTo(StopReason.CANCELLED);
      assertThat(Path.of(sandbox.workDir(), "pending.txt")).doesNotExist();
    }
  }

  @Test
  void modeAndModelChangesAreAcknowledgedWithUpdates() {
    List<SessionUpdate> updates = new CopyOnWriteArrayList<>();
    try (AgentSession session = open(options().withListener(updates::add))) {
      assertThat(session.sessionInfo().path("modes").path("currentModeId").asText())
          .isEqualTo("default");

      session.setMode("plan").orTimeout(10, TimeUnit.SECONDS).join();
      session.setModel("offline-fast").orTimeout(10, TimeUnit.SECONDS).join();
      TurnResult planned = finish(session.prompt("/write plan.txt only planned"));

      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> updates.stream().anyMatch(u -> u instanceof SessionUpdate.ConfigOptionUpdate));
      assertThat(updates)
          .anyMatch(
              u ->
                  u instanceof SessionUpdate.CurrentModeUpdate m
                      && m.currentModeId().equals("plan"));
      assertThat(planned.agentText()).startsWith("Plan mode");
      assertThat(Path.of(sandbox.workDir(), "plan.txt")).doesNotExist();
      assertThatThrownBy(() -> session.setMode("yolo").join())
          .hasCauseInstanceOf(dev.foundry.sandbox.acp.AcpErrorException.class)
          .hasMessageContaining("unknown mode");
    }
  }

  @Test
  void aSecondPromptWhileATurnRunsIsRefused() {
    try (AgentSession session = open(options())) {
      List<SessionUpdate> chunks = new CopyOnWriteArrayList<>();
      AgentTurn running = session.prompt("/slow 100", chunks::add);
      assertThatThrownBy(() -> session.prompt("me too")).isInstanceOf(IllegalStateException.class);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> chunks.stream().anyMatch(u -> u instanceof AgentMessageChunk));
      running.cancel().join();
      assertThat(finish(running).stopReason()).isEqualTo(StopReason.CANCELLED);
    }
  }

  @Test
  void anAgentCrashFailsThePendingTurnWithAClearErrorAndClosesTheSession() {
    List<Throwable> closedWith = new CopyOnWriteArrayList<>();
    AgentSession session =
        open(
            options()
                .withListener(
                    new SessionListener() {
                      @Override
                      public void onUpdate(SessionUpdate update) {}

                      @Override
                      public void onClosed(Throwable cause) {
                        closedWith.add(cause);
                      }
                    }));
    try {
      AgentTurn turn = session.prompt("/crash 7");

      assertThatThrownBy(() -> finish(turn))
          .hasCauseInstanceOf(AgentProcessExitedException.class)
          .hasMessageContaining("exited with code 7")
          .hasMessageContaining("session/prompt");
      assertThat(session.isOpen()).isFalse();
      assertThat(closedWith).singleElement().isInstanceOf(AgentProcessExitedException.class);
      assertThatThrownBy(() -> session.prompt("again").result().join())
          .hasCauseInstanceOf(AgentProcessExitedException.class);
    } finally {
      session.close();
    }
  }

  @Test
  void closeEndsTheAgentProcessAndUnregistersTheInstance() {
    long serverPid = sandboxes.serverPid("offline-box");
    AgentSession session = open(options());
    String serverId = session.serverId();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !TestSandboxes.offlineAgentPids(serverPid).isEmpty());
    List<Long> before = TestSandboxes.offlineAgentPids(serverPid);

    session.close();

    assertThat(sandbox.client().acpServers().join()).noneMatch(s -> s.serverId().equals(serverId));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> TestSandboxes.offlineAgentPids(serverPid).stream().noneMatch(before::contains));
  }
}
