package dev.foundry.sandbox.acp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.sandbox.client.AgentProcessExitedException;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentTimeoutException;
import dev.foundry.sandbox.process.ProcessInfo;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.local.ProcessTree;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.AgentTurn;
import dev.foundry.sandbox.support.TestSandboxes;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The four sandbox-agent 0.4.2 bugs of spec §0, each shown against the real server next to the
 * client behaviour that works around it. The server runs with a short ACP request timeout so the
 * hangs show quickly.
 */
class SandboxAgentWorkaroundsTest {

  /**
   * Short, so the hang shows quickly; not shorter, because starting the offline agent's JVM (part
   * of the first request) takes about a second on a busy 2-core machine.
   */
  static final Duration SERVER_ACP_TIMEOUT = Duration.ofSeconds(3);

  static TestSandboxes sandboxes;
  static Sandbox sandbox;
  static SandboxAgentClient client;

  @BeforeAll
  static void startSandbox() {
    sandboxes = new TestSandboxes("bugs", s -> s.withAcpRequestTimeout(SERVER_ACP_TIMEOUT));
    sandbox = sandboxes.create("bugs-box", true);
    client = sandbox.client();
  }

  @AfterAll
  static void destroySandbox() {
    sandboxes.close();
  }

  private static AgentSession open(Duration promptTimeout) {
    return AgentSession.open(
            client,
            AgentSessionOptions.of("mock", sandbox.workDir()).withPromptTimeout(promptTimeout))
        .orTimeout(30, TimeUnit.SECONDS)
        .join();
  }

  @Test
  void deleteOfALiveInstanceNeverAnswersSoCloseStopsWaitingAndStillEndsTheAgent() {
    long serverPid = sandboxes.serverPid("bugs-box");
    AgentSession raw = open(Duration.ofSeconds(30));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> TestSandboxes.offlineAgentPids(serverPid).size() == 1);

    // The bug: a plain DELETE gets no answer at all.
    HttpRequest delete =
        client
            .http()
            .request("/v1/acp/" + raw.serverId())
            .timeout(Duration.ofMillis(1500))
            .DELETE()
            .build();
    assertThatThrownBy(
            () -> client.http().client().send(delete, HttpResponse.BodyHandlers.discarding()))
        .isInstanceOf(HttpTimeoutException.class);
    // Giving up on it is what lets the agent go.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> TestSandboxes.offlineAgentPids(serverPid).isEmpty());

    // The workaround: close() completes (bounded) and the agent process is gone.
    AgentSession session = open(Duration.ofSeconds(30));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> TestSandboxes.offlineAgentPids(serverPid).size() == 1);
    session.closeAsync().orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(client.acpServers().join()).noneMatch(s -> s.serverId().equals(session.serverId()));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> TestSandboxes.offlineAgentPids(serverPid).isEmpty());
    raw.closeAsync().join();
  }

  @Test
  void aRequestThatTimesOutOnTheServerIsNeverAnsweredSoTheClientDeadlineEndsIt() throws Exception {
    try (AgentSession session = open(Duration.ofSeconds(30))) {
      // The bug: the server's own timeout passes, yet the POST stays unanswered.
      String hang =
          "{\"jsonrpc\":\"2.0\",\"id\":\"raw-hang\",\"method\":\"session/prompt\",\"params\":{\"sessionId\":\""
              + session.sessionId()
              + "\",\"prompt\":[{\"type\":\"text\",\"text\":\"/hang\"}]}}";
      HttpRequest post =
          client
              .http()
              .request("/v1/acp/" + session.serverId())
              .timeout(SERVER_ACP_TIMEOUT.multipliedBy(2))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(hang))
              .build();
      assertThatThrownBy(
              () -> client.http().client().send(post, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(HttpTimeoutException.class);
    }
    try (AgentSession session = open(SERVER_ACP_TIMEOUT.plusSeconds(1))) {
      // The workaround: every request carries a client deadline and fails with a clear message.
      AgentTurn turn = session.prompt("/hang");
      assertThatThrownBy(() -> turn.result().orTimeout(30, TimeUnit.SECONDS).join())
          .hasCauseInstanceOf(SandboxAgentTimeoutException.class)
          .hasMessageContaining("never answers a request that timed out");
    }
  }

  @Test
  void anAgentDeathFailsThePendingTurnAtOnceWhileTheServerStillHoldsThePost() throws Exception {
    try (AgentSession session = open(Duration.ofSeconds(30))) {
      CompletableFuture<Void> slowStarted = new CompletableFuture<>();
      session.addListener(update -> slowStarted.complete(null));
      // A raw POST on the same instance, waiting like the server makes everyone wait.
      String slow =
          "{\"jsonrpc\":\"2.0\",\"id\":\"raw-slow\",\"method\":\"session/prompt\",\"params\":{\"sessionId\":\""
              + session.sessionId()
              + "\",\"prompt\":[{\"type\":\"text\",\"text\":\"/slow 1000\"}]}}";
      CompletableFuture<HttpResponse<String>> rawPost =
          client
              .http()
              .client()
              .sendAsync(
                  client
                      .http()
                      .request("/v1/acp/" + session.serverId())
                      .timeout(Duration.ofSeconds(20))
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString(slow))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      // The raw prompt must be with the agent before it crashes (else the server answers it at
      // once): its first chunk shows it is.
      slowStarted.get(20, TimeUnit.SECONDS);
      AgentTurn turn = session.prompt("/crash 3");

      assertThatThrownBy(() -> turn.result().orTimeout(30, TimeUnit.SECONDS).join())
          .hasCauseInstanceOf(AgentProcessExitedException.class)
          .hasMessageContaining("exited with code 3");
      // The bug: when our turn has already failed, the server has not answered the other POST.
      assertThat(rawPost).isNotDone();
      HttpResponse<String> late = rawPost.get(20, TimeUnit.SECONDS);
      assertThat(late.statusCode()).isEqualTo(500);
      assertThat(late.body()).contains("agent_process_exited");
    }
  }

  @Test
  void sigtermToTheServerAloneOrphansItsChildrenSoStopEndsTheWholeGroup() {
    TestSandboxes own = new TestSandboxes("orphans");
    try {
      Sandbox box = own.create("orphan-box", true);
      long serverPid = own.serverPid("orphan-box");
      ProcessInfo sleeper =
          box.client()
              .processes()
              .start(ProcessRequest.of("sleep", "300").withCwd(box.workDir()))
              .join();
      ProcessInfo shell =
          box.client()
              .processes()
              .start(ProcessRequest.shell("sleep 301 & wait").withCwd(box.workDir()))
              .join();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> ProcessTree.members(serverPid).size() >= 4);
      List<Long> children =
          ProcessTree.members(serverPid).stream()
              .map(ProcessTree.ProcessStat::pid)
              .filter(pid -> pid != serverPid)
              .toList();
      assertThat(children).contains(sleeper.pid(), shell.pid());

      // The bug: SIGTERM to the server alone leaves its children running.
      ProcessHandle.of(serverPid).orElseThrow().destroy();
      await().atMost(Duration.ofSeconds(10)).until(() -> !ProcessTree.isAlive(serverPid));
      assertThat(children).allMatch(ProcessTree::isAlive);

      // The workaround: stop signals the whole session/group, found in the process table.
      own.provider().stop("orphan-box").orTimeout(30, TimeUnit.SECONDS).join();
      assertThat(children).noneMatch(ProcessTree::isAlive);
      assertThat(ProcessTree.members(serverPid)).isEmpty();
    } finally {
      own.close();
    }
  }
}
