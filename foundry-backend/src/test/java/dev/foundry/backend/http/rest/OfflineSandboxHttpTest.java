package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.provider.local.SandboxIsolation;
import dev.foundry.sandbox.provider.local.SandboxNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend with {@code FOUNDRY_SANDBOX_NETWORK=none}, over real HTTP and the real sandbox-agent:
 * a task's prompt is answered by the offline agent (the backend reaches the server through the
 * socket relay), and a process in the task's sandbox cannot connect to the backend's own port.
 */
class OfflineSandboxHttpTest {

  @TempDir Path dir;

  private ApiServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    // A stopped backend leaves its sandboxes running (a new one reconnects to them): end them.
    ExecutorService io = Executors.newCachedThreadPool();
    try {
      LocalSandboxProvider sandboxes =
          new LocalSandboxProvider(
              LocalSandboxSettings.of(dir.resolve("data-sandboxes"), SandboxAgentBin.path(), io)
                  .withIsolation(SandboxIsolation.BWRAP)
                  .withNetwork(SandboxNetwork.NONE));
      for (var s : sandboxes.list().get(30, TimeUnit.SECONDS)) {
        sandboxes.destroy(s.sandboxId()).get(30, TimeUnit.SECONDS);
      }
    } finally {
      io.shutdownNow();
    }
  }

  @Test
  void aTaskWithoutNetworkIsAnsweredButItsSandboxCannotReachTheBackend() throws Exception {
    Path bare = dev.foundry.backend.testing.Git.seedRemote(dir);
    server =
        ApiServer.start(
            dir,
            Map.of(
                "SANDBOX_AGENT_BIN",
                SandboxAgentBin.path().toString(),
                "FOUNDRY_SANDBOX_SHARED_PATHS",
                bare.toString(),
                "FOUNDRY_SANDBOX_NETWORK",
                "none"));
    Browser alice = server.browser();
    String org = alice.signIn("alice").json().path("activeOrganizationId").asText();
    String base = "/v1/organizations/" + org;
    String repoId =
        created(alice.post(base + "/repos", "{\"remoteUrl\":\"" + bare.toUri() + "\"}"))
            .path("repoId")
            .asText();
    String taskId =
        created(
                alice.post(
                    base + "/tasks", "{\"repoId\":\"" + repoId + "\",\"task\":\"hello offline\"}"))
            .path("id")
            .asText();
    String task = base + "/tasks/" + taskId;

    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                "idle"
                    .equals(
                        ok(alice.get(task))
                            .path("sessionsSummary")
                            .path(0)
                            .path("status")
                            .asText()));
    String sessionId = ok(alice.get(task)).path("sessionsSummary").path(0).path("id").asText();
    assertThat(agentText(ok(alice.get(task + "/sessions/" + sessionId))))
        .contains("You said: hello offline");

    // The backend's port on the host's loopback: refused from inside (the sandbox's own
    // loopback has nothing there); the same probe from the host reaches it.
    int port = server.app().port();
    String script =
        "if timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/"
            + port
            + "'; then echo REACHED; else echo UNREACHABLE; fi; echo END";
    String processId =
        created(
                alice.post(
                    task + "/sandbox/processes",
                    "{\"command\":\"sh\",\"args\":[\"-c\","
                        + com.fasterxml.jackson.databind.node.TextNode.valueOf(script)
                        + "]}"))
            .path("id")
            .asText();
    String[] out = new String[1];
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              out[0] = stdout(ok(alice.get(task + "/sandbox/processes/" + processId + "/logs")));
              return out[0].contains("END");
            });
    assertThat(out[0]).contains("UNREACHABLE").doesNotContain("REACHED\n");
    Process fromHost =
        new ProcessBuilder("timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port)
            .start();
    assertThat(fromHost.waitFor()).isZero();
  }

  private static String agentText(JsonNode session) {
    StringBuilder b = new StringBuilder();
    for (JsonNode e : session.path("transcript")) {
      b.append(e.path("payload").path("content").path("text").asText(""));
    }
    return b.toString();
  }

  private static String stdout(JsonNode logs) {
    StringBuilder b = new StringBuilder();
    for (JsonNode entry : logs) {
      if (!"stderr".equals(entry.path("stream").asText())) {
        b.append(entry.path("text").asText());
      }
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
