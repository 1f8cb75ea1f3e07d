package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;
import dev.foundry.sandbox.provider.local.ProcessTree;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code FOUNDRY_SANDBOX_PROVIDER=remote} over real HTTP: a sandbox-agent server started apart from
 * the backend ({@code server --host 127.0.0.1 --port P --token T --no-telemetry}, as an operator or
 * compose starts it), the backend pointed at it by URL and token, no {@code SANDBOX_AGENT_BIN}. A
 * task created with a prompt gets its directory on that server and the offline agent answers;
 * archive deletes the directory and the server runs on.
 */
class RemoteSandboxHttpFlowTest {

  @TempDir Path dir;

  private Process sandboxAgent;
  private ApiServer server;
  private Browser alice;
  private String org;
  private Path remoteRoot;

  @BeforeEach
  void start() throws Exception {
    Path serverDir = Files.createDirectories(dir.resolve("sandbox-agent"));
    Files.createDirectories(serverDir.resolve("home"));
    Files.createDirectories(serverDir.resolve("data"));
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
                SandboxAgentBin.path().toString(),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--token",
                token,
                "--no-telemetry")
            .directory(serverDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(serverDir.resolve("server.log").toFile());
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    pb.environment().put("HOME", serverDir.resolve("home").toString());
    pb.environment().put("XDG_DATA_HOME", serverDir.resolve("data").toString());
    sandboxAgent = pb.start();
    String url = "http://127.0.0.1:" + port;
    try (SandboxAgentClient client =
        SandboxAgentClient.builder(SandboxAgentEndpoint.of(url, token)).build()) {
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () -> {
                client.health(Duration.ofSeconds(1)).get(2, TimeUnit.SECONDS);
                return true;
              });
    }
    remoteRoot = serverDir.resolve("sandboxes");
    server =
        ApiServer.start(
            dir,
            Map.of(
                "FOUNDRY_SANDBOX_PROVIDER",
                "remote",
                "FOUNDRY_SANDBOX_REMOTE_URL",
                url,
                "FOUNDRY_SANDBOX_REMOTE_TOKEN",
                token,
                "FOUNDRY_SANDBOX_REMOTE_ROOT",
                remoteRoot.toString()));
    alice = server.browser();
    org = alice.signIn("alice").json().path("activeOrganizationId").asText();
  }

  @AfterEach
  void stop() {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      if (sandboxAgent != null) {
        ProcessTree.terminate(sandboxAgent.pid(), Duration.ofSeconds(5));
      }
    }
  }

  @Test
  void aTaskWithAPromptRunsOnTheRemoteServerAndArchiveDeletesItsDirectory() throws Exception {
    String remote = dev.foundry.backend.testing.Git.seedRemote(dir).toUri().toString();
    String repoId =
        created(alice.post(orgPath("/repos"), "{\"remoteUrl\":\"" + remote + "\"}"))
            .path("repoId")
            .asText();
    String taskId =
        created(
                alice.post(
                    orgPath("/tasks"), "{\"repoId\":\"" + repoId + "\",\"task\":\"hello remote\"}"))
            .path("id")
            .asText();
    String task = orgPath("/tasks/" + taskId);

    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> firstSession(ok(alice.get(task))).path("status").asText(), "idle"::equals);
    String sessionId = firstSession(ok(alice.get(task))).path("id").asText();
    assertThat(agentText(ok(alice.get(task + "/sessions/" + sessionId))))
        .contains("You said: hello remote");

    // The sandbox is a directory of the remote server, the repository cloned into its work dir.
    JsonNode sandbox = ok(alice.get(task + "/sandbox"));
    assertThat(sandbox.path("state").asText()).isEqualTo("running");
    assertThat(sandbox.toString()).contains(remoteRoot.resolve(taskId).toString());
    assertThat(remoteRoot.resolve(taskId).resolve("sandbox.json")).isRegularFile();
    assertThat(remoteRoot.resolve(taskId).resolve("work")).isDirectory();

    // A second message on the same session.
    Browser.Answer sent =
        alice.post(task + "/sessions/" + sessionId + "/messages", "{\"text\":\"again\"}");
    assertThat(sent.status()).as("%s", sent).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> agentText(ok(alice.get(task + "/sessions/" + sessionId))),
            text -> text.contains("You said: again"));

    assertThat(alice.post(task + "/archive", null).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ok(alice.get(task + "/sandbox")).path("state").asText(), "destroyed"::equals);
    assertThat(remoteRoot.resolve(taskId)).doesNotExist();
    assertThat(sandboxAgent.isAlive()).as("the shared server runs on").isTrue();
  }

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
}
