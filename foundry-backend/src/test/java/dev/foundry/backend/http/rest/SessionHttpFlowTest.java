package dev.foundry.backend.http.rest;

import static dev.foundry.backend.testing.Git.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session flow over real HTTP and WebSocket: the backend with sandboxes (the real
 * sandbox-agent, the offline agent), a task created with a prompt over REST, its progress watched
 * on the realtime socket, a second message, a stop, sandbox processes, git work, and another user
 * who can reach none of it.
 */
class SessionHttpFlowTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  private ApiServer server;
  private Browser alice;
  private Browser bob;
  private String org;
  private String remote;

  @BeforeEach
  void start() throws Exception {
    Path bare = dev.foundry.backend.testing.Git.seedRemote(dir);
    remote = bare.toUri().toString();
    // The default provider (isolated): sandboxes see the test's git remote and nothing else of it.
    server =
        ApiServer.start(
            dir,
            Map.of(
                "SANDBOX_AGENT_BIN",
                SandboxAgentBin.path().toString(),
                "FOUNDRY_SANDBOX_SHARED_PATHS",
                bare.toString()));
    alice = server.browser();
    bob = server.browser();
    org = alice.signIn("alice").json().path("activeOrganizationId").asText();
    bob.signIn("bob");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aTaskCreatedOverRestRunsItsPromptAndStreamsOverTheSocket() throws Exception {
    String repoId =
        created(alice.post(orgPath("/repos"), "{\"remoteUrl\":\"" + remote + "\"}"))
            .path("repoId")
            .asText();
    String taskId =
        created(
                alice.post(
                    orgPath("/tasks"),
                    "{\"repoId\":\"" + repoId + "\",\"task\":\"hello over http\"}"))
            .path("id")
            .asText();
    String task = orgPath("/tasks/" + taskId);

    try (Socket socket = Socket.open(server.base(), alice.cookie())) {
      socket.send(
          "{\"type\":\"subscribe\",\"topic\":\"task\",\"id\":\"" + org + "/" + taskId + "\"}");
      assertThat(
              socket
                  .next(f -> f.path("type").asText().equals("snapshot"))
                  .path("payload")
                  .path("id")
                  .asText())
          .isEqualTo(taskId);
      // The first turn ends: the task event says its session is idle.
      JsonNode idle =
          socket.next(
              f ->
                  f.path("event").asText().equals("taskUpdated")
                      && "idle".equals(firstSession(f.path("payload")).path("status").asText()));
      String sessionId = firstSession(idle.path("payload")).path("id").asText();

      JsonNode session = ok(alice.get(task + "/sessions/" + sessionId));
      assertThat(agentText(session)).contains("You said: hello over http");

      // A second, slow message: the socket streams its transcript, the task answers meanwhile.
      String sessionTopic = org + "/" + taskId + "/" + sessionId;
      socket.send("{\"type\":\"subscribe\",\"topic\":\"session\",\"id\":\"" + sessionTopic + "\"}");
      socket.next(
          f ->
              f.path("type").asText().equals("snapshot")
                  && f.path("topic").asText().equals("session"));
      Browser.Answer sent =
          alice.post(task + "/sessions/" + sessionId + "/messages", "{\"text\":\"/slow 100\"}");
      assertThat(sent.status()).as("%s", sent).isEqualTo(202);
      assertThat(sent.json().path("turnId").asText()).startsWith("turn-");
      socket.next(
          f ->
              f.path("event").asText().equals("transcriptUpdated")
                  && f.path("payload").path("entries").size() > 0);
      assertThat(ok(alice.get(task)).path("status").asText()).isEqualTo("running");
      // A message while the turn runs is a conflict, said at once.
      Browser.Answer busy =
          alice.post(task + "/sessions/" + sessionId + "/messages", "{\"text\":\"again\"}");
      assertThat(busy.status()).isEqualTo(409);
      assertThat(busy.errorCode()).isEqualTo("session_busy");

      assertThat(
              ok(alice.post(task + "/sessions/" + sessionId + "/stop", null))
                  .path("stopped")
                  .asBoolean())
          .isTrue();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> ok(alice.get(task)).path("status").asText(), "idle"::equals);

      // Bad input changes nothing and says why.
      assertThat(
              alice
                  .post(task + "/sessions/" + sessionId + "/messages", "{\"text\":\"  \"}")
                  .status())
          .isEqualTo(422);
      assertThat(
              alice.post(task + "/sessions/" + sessionId + "/messages", "{\"txt\":\"x\"}").status())
          .isEqualTo(400);
      assertThat(alice.post(task + "/sessions/session-nope/messages", "{\"text\":\"x\"}").status())
          .isEqualTo(404);

      // Another user reaches none of it: not over REST, not over the socket.
      assertThat(bob.get(task + "/sessions/" + sessionId).status()).isIn(403, 404);
      assertThat(
              bob.post(task + "/sessions/" + sessionId + "/messages", "{\"text\":\"hi\"}").status())
          .isIn(403, 404);
      assertThat(bob.get(task + "/sandbox").status()).isIn(403, 404);
      try (Socket bobs = Socket.open(server.base(), bob.cookie())) {
        bobs.send("{\"type\":\"subscribe\",\"topic\":\"session\",\"id\":\"" + sessionTopic + "\"}");
        assertThat(bobs.next(f -> true).path("type").asText()).isEqualTo("error");
      }
    }

    // The sandbox and its processes.
    JsonNode sandbox = ok(alice.get(task + "/sandbox"));
    assertThat(sandbox.path("state").asText()).isEqualTo("running");
    Browser.Answer started =
        alice.post(
            task + "/sandbox/processes",
            "{\"command\":\"sh\",\"args\":[\"-c\",\"echo ready; sleep 30\"]}");
    assertThat(started.status()).as("%s", started).isEqualTo(201);
    String processId = started.json().path("id").asText();
    assertThat(ok(alice.get(task + "/sandbox/processes")).findValuesAsText("id"))
        .contains(processId);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                ok(alice.get(task + "/sandbox/processes/" + processId + "/logs"))
                    .toString()
                    .contains("ready"));
    ok(alice.post(task + "/sandbox/processes/" + processId + "/stop", null));
    assertThat(alice.post(task + "/sandbox/processes", "{\"command\":\"\"}").status())
        .isEqualTo(422);

    // Git work answers with git's outcome: a push lands on the remote.
    JsonNode pushed = ok(alice.post(task + "/push", null));
    assertThat(pushed.path("id").asText()).isEqualTo(taskId);
    assertThat(git(Path.of(URI.create(remote)), "branch", "--list"))
        .contains(pushed.path("branch").asText());

    // Archive destroys the sandbox.
    assertThat(alice.post(task + "/archive", null).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ok(alice.get(task + "/sandbox")).path("state").asText(), "destroyed"::equals);
  }

  @Test
  void gitWorkOverHttpAnswersWithGitsOutcome() throws Exception {
    String repoId =
        created(alice.post(orgPath("/repos"), "{\"remoteUrl\":\"" + remote + "\"}"))
            .path("repoId")
            .asText();
    String taskId =
        created(
                alice.post(
                    orgPath("/tasks"),
                    "{\"repoId\":\"" + repoId + "\",\"task\":\"/write notes.txt milk\"}"))
            .path("id")
            .asText();
    String task = orgPath("/tasks/" + taskId);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> ok(alice.get(task)).path("fileChanges").toString().contains("notes.txt"));

    assertThat(alice.post(task + "/files/revert", "{\"path\":\"../etc/passwd\"}").status())
        .isEqualTo(422);
    Browser.Answer reverted = alice.post(task + "/files/revert", "{\"path\":\"notes.txt\"}");
    assertThat(reverted.status()).as("%s", reverted).isEqualTo(200);
    assertThat(reverted.json().size()).isZero();
    assertThat(ok(alice.get(task)).path("fileChanges").size()).isZero();

    // Sync and merge of a branch with nothing new are real, and succeed.
    assertThat(ok(alice.post(task + "/sync", null)).path("id").asText()).isEqualTo(taskId);
    assertThat(ok(alice.post(task + "/merge", null)).path("id").asText()).isEqualTo(taskId);
    assertThat(ok(alice.get(orgPath("/audit-log?taskId=" + taskId))).toString())
        .contains("task.sync")
        .contains("task.merge");
  }

  // --- helpers -------------------------------------------------------------------------------

  private String orgPath(String rest) {
    return "/v1/organizations/" + org + rest;
  }

  private static JsonNode firstSession(JsonNode task) {
    return task.path("sessionsSummary").path(0);
  }

  private static String agentText(JsonNode session) {
    StringBuilder b = new StringBuilder();
    for (JsonNode e : session.path("transcript")) {
      b.append(e.path("payload").path("content").path("text").asText(""));
    }
    return b.toString();
  }

  private static JsonNode ok(Browser.Answer answer) {
    assertThat(answer.status()).as("%s", answer).isEqualTo(200);
    return answer.json();
  }

  private static JsonNode created(Browser.Answer answer) {
    assertThat(answer.status()).as("%s", answer).isEqualTo(201);
    return answer.json();
  }

  /** A realtime client with the browser's session cookie; frames queue up as JSON objects. */
  private static final class Socket implements WebSocket.Listener, AutoCloseable {
    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket ws;

    static Socket open(String base, String cookie) {
      Socket s = new Socket();
      s.ws =
          HTTP.newWebSocketBuilder()
              .header("Cookie", "foundry_session=" + cookie)
              .buildAsync(URI.create(base.replace("http://", "ws://") + "/v1/realtime"), s)
              .orTimeout(10, TimeUnit.SECONDS)
              .join();
      return s;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          frames.add(JSON.readTree(partial.toString()));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        partial.setLength(0);
      }
      socket.request(1);
      return null;
    }

    void send(String frame) {
      ws.sendText(frame, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** The first frame that matches, skipping others; fails after 60 s without one. */
    JsonNode next(Predicate<JsonNode> wanted) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        JsonNode frame = frames.poll(1, TimeUnit.SECONDS);
        if (frame != null && wanted.test(frame)) {
          return frame;
        }
      }
      throw new AssertionError("no matching frame within 60 s");
    }

    @Override
    public void close() {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(10, TimeUnit.SECONDS).join();
    }
  }
}
