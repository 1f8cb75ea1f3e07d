package dev.foundry.backend.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.metrics.FoundryMetrics;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Waits over real sockets: a waited command past its budget answers the documented JSON {@code 504
 * command_timeout} and still runs; the server's own request timeout is above every route's wait
 * and, should it fire, answers JSON too.
 */
class TimeoutsTest {

  @Test
  void aWaitedCommandPastItsBudgetAnswersJson504AndGoesOnRunning(@TempDir Path dir)
      throws Exception {
    // A git remote that accepts connections and never answers: cloning it hangs, and the task
    // actor, busy provisioning its sandbox, takes no other command meanwhile.
    try (ServerSocket silent = new ServerSocket(0)) {
      try (ApiServer server =
          ApiServer.start(
              dir,
              Map.of(
                  "SANDBOX_AGENT_BIN",
                  SandboxAgentBin.path().toString(),
                  "FOUNDRY_COMMAND_TIMEOUT",
                  "3s"))) {
        Browser ada = server.browser();
        String taskPath = taskCloning(ada, silent);

        // Until the provisioning holds the actor, a rename may still go through at once.
        Answer[] timedOut = new Answer[1];
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  timedOut[0] = ada.patch(taskPath, "{\"title\":\"renamed while stuck\"}");
                  return timedOut[0].status() != 200;
                });
        Answer answer = timedOut[0];
        assertThat(answer.status()).as(answer.toString()).isEqualTo(504);
        assertThat(answer.raw().headers().firstValue("content-type"))
            .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(answer.errorCode()).isEqualTo("command_timeout");
        assertThat(answer.json().path("error").path("message").asText()).contains("keeps running");

        // The command was accepted and runs once the actor is free: the hang ends, the clone
        // fails, and the rename is applied without being sent again.
        silent.close();
        await()
            .atMost(Duration.ofSeconds(120))
            .untilAsserted(
                () ->
                    assertThat(ada.get(taskPath).json().path("title").asText())
                        .isEqualTo("renamed while stuck"));
      }
    }
  }

  @Test
  void callsBeyondAnActorsQueueBoundAnswer429WithRetryAfterAndChangeNothing(@TempDir Path dir)
      throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) {
      try (ApiServer server =
          ApiServer.start(
              dir,
              Map.of(
                  "SANDBOX_AGENT_BIN",
                  SandboxAgentBin.path().toString(),
                  "FOUNDRY_COMMAND_TIMEOUT",
                  "5s",
                  "FOUNDRY_MAX_QUEUED_PER_ACTOR",
                  "3"))) {
        Browser ada = server.browser();
        String taskPath = taskCloning(ada, silent);
        // The task actor is held by a clone that hangs once a rename times out.
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> ada.patch(taskPath, "{\"title\":\"probe\"}").status() == 504);

        int calls = 10;
        ExecutorService senders = Executors.newFixedThreadPool(calls);
        try {
          List<CompletableFuture<Answer>> answers = new ArrayList<>();
          for (int i = 0; i < calls; i++) {
            String body = "{\"title\":\"title " + i + "\"}";
            answers.add(CompletableFuture.supplyAsync(() -> ada.patch(taskPath, body), senders));
          }
          Set<String> refused = new HashSet<>();
          Set<String> queued = new HashSet<>();
          for (int i = 0; i < calls; i++) {
            Answer answer = answers.get(i).get(60, TimeUnit.SECONDS);
            if (answer.status() == 429) {
              assertThat(answer.errorCode()).isEqualTo("overloaded");
              assertThat(answer.raw().headers().firstValue("retry-after")).hasValue("1");
              refused.add("title " + i);
            } else {
              assertThat(answer.status()).as(answer.toString()).isEqualTo(504);
              queued.add("title " + i);
            }
          }
          // The probe may still hold one of the three places.
          assertThat(refused).hasSizeGreaterThanOrEqualTo(calls - 3);
          assertThat(queued).hasSizeLessThanOrEqualTo(3);

          // Once the hang ends, the queued renames apply in order and the refused ones never do:
          // every title seen on the way is one of the queued ones.
          silent.close();
          Set<String> applied = new HashSet<>(queued);
          applied.add("probe");
          String last = queued.isEmpty() ? "probe" : null;
          await()
              .atMost(Duration.ofSeconds(120))
              .untilAsserted(
                  () -> {
                    Answer detail = ada.get(taskPath);
                    assertThat(detail.status()).as(detail.toString()).isEqualTo(200);
                    String title = detail.json().path("title").asText();
                    assertThat(refused).doesNotContain(title);
                    assertThat(applied).contains(title);
                    if (last != null) {
                      assertThat(title).isEqualTo(last);
                    }
                  });
          Answer renamed = ada.patch(taskPath, "{\"title\":\"after\"}");
          assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
          assertThat(ada.get(taskPath).json().path("title").asText()).isEqualTo("after");
        } finally {
          senders.shutdownNow();
        }
      }
    }
  }

  @Test
  void theServersRequestTimeoutIsAboveEveryWait(@TempDir Path dir) {
    FoundrySettings settings = settings(dir, Map.of("FOUNDRY_COMMAND_TIMEOUT", "30s"));
    assertThat(HttpServer.requestTimeoutFor(settings))
        .isGreaterThan(TaskProtocol.GIT_TIMEOUT)
        .isGreaterThan(Duration.ofSeconds(30));
    FoundrySettings slow = settings(dir, Map.of("FOUNDRY_COMMAND_TIMEOUT", "5m"));
    assertThat(HttpServer.requestTimeoutFor(slow)).isGreaterThan(Duration.ofMinutes(5));
  }

  @Test
  void theServersOwnTimeoutAnswersJsonInTheErrorShape(@TempDir Path dir) throws Exception {
    Config config = config(dir, Map.of());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "timeouts", config);
    try {
      Route never =
          Directives.path(
              "never",
              () ->
                  Directives.onSuccess(
                      new CompletableFuture<String>(), s -> Directives.complete(s)));
      HttpServer server =
          new HttpServer(
              system,
              FoundrySettings.from(config),
              new Readiness(),
              List.of(never),
              new FoundryMetrics(),
              Duration.ofSeconds(1));
      ServerBinding binding = server.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Answer answer =
          new Browser("http://127.0.0.1:" + binding.localAddress().getPort()).get("/never");
      assertThat(answer.status()).isEqualTo(504);
      assertThat(answer.errorCode()).as(answer.toString()).isEqualTo("request_timeout");
      assertThat(answer.json().path("error").path("message").asText()).contains("still be running");
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Signs in, adds a repository whose remote is {@code silent} (accepts connections, never answers)
   * and creates a task on it: its actor soon hangs in the clone. Answers the task's path.
   */
  private static String taskCloning(Browser ada, ServerSocket silent) {
    String org = ada.signIn("ada").json().path("activeOrganizationId").asText();
    String orgPath = "/v1/organizations/" + org;
    String remote = "http://127.0.0.1:" + silent.getLocalPort() + "/stuck.git";
    Answer repo = ada.post(orgPath + "/repos", "{\"remoteUrl\":\"" + remote + "\"}");
    assertThat(repo.status()).as(repo.toString()).isEqualTo(201);
    Answer task =
        ada.post(
            orgPath + "/tasks",
            "{\"repoId\":\"" + repo.json().path("repoId").asText() + "\",\"task\":\"wait\"}");
    assertThat(task.status()).as(task.toString()).isEqualTo(201);
    return orgPath + "/tasks/" + task.json().path("id").asText();
  }

  private static Config config(Path dir, Map<String, String> environment) {
    Map<String, String> env = new java.util.HashMap<>(environment);
    env.put("PORT", "0");
    env.put("FOUNDRY_DATA_DIR", dir.resolve("data").toString());
    return FoundryConfig.load(env, ConfigFactory.parseMap(Map.of("pekko.loglevel", "WARNING")));
  }

  private static FoundrySettings settings(Path dir, Map<String, String> env) {
    return FoundrySettings.from(config(dir, env));
  }
}
