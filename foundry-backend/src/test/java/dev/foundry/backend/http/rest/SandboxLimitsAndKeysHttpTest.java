package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import dev.foundry.backend.testing.Git;
import dev.foundry.shared.app.FoundryOrganizationMember;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over HTTP against the real backend and the real sandbox-agent: the live sandbox limits refuse a
 * sandbox with {@code 429 sandbox_limit_reached} and an archived task frees its slot; a user's
 * agent keys reach that user's sandboxes only and never a REST answer; a session says which agent
 * really runs it.
 */
class SandboxLimitsAndKeysHttpTest {
  private static final String ALICE_KEY = "sk-ant-alice-canary-7f3e91";

  @TempDir Path dir;

  private ApiServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private void start(Map<String, String> extra) throws Exception {
    Map<String, String> env = new HashMap<>(extra);
    env.put("SANDBOX_AGENT_BIN", SandboxAgentBin.path().toString());
    env.put("FOUNDRY_CREDENTIALS_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    // The remotes are file:// repositories: an isolated sandbox sees them only when shared.
    java.nio.file.Files.createDirectories(dir.resolve("remotes"));
    env.put("FOUNDRY_SANDBOX_SHARED_PATHS", dir.resolve("remotes").toString());
    server = ApiServer.start(dir, env);
  }

  @Test
  void pastTheLimitASandboxIsRefusedUntilAnArchivedTaskFreesItsSlot() throws Exception {
    start(Map.of("FOUNDRY_MAX_SANDBOXES", "1", "FOUNDRY_MAX_SANDBOXES_PER_ORGANIZATION", "1"));
    Browser alice = server.browser();
    User a = User.signIn(alice, "alice", dir);

    String first = a.task("first");
    awaitRunning(alice, first);

    // The second task's prompt needs a sandbox: its first session ends in error, saying why.
    String second = a.task("second");
    JsonNode session = awaitSession(alice, second, s -> s.path("status").asText().equals("error"));
    assertThat(session.path("errorMessage").asText())
        .contains("sandbox_limit_reached")
        .contains("maximum of 1 live sandboxes");
    String sessionId = session.path("id").asText();

    // A message that would provision it answers the error itself.
    Browser.Answer refused =
        alice.post(second + "/sessions/" + sessionId + "/messages", "{\"text\":\"hello\"}");
    assertThat(refused.status()).as("%s", refused).isEqualTo(429);
    assertThat(refused.errorCode()).isEqualTo("sandbox_limit_reached");
    assertThat(alice.get(second + "/sandbox").json().path("state").asText())
        .isNotEqualTo("running");

    // Archiving the first destroys its sandbox and frees the slot.
    assertThat(alice.post(first + "/archive", null).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> server.app().system() != null && liveSandboxes() == 0);
    Browser.Answer sent =
        alice.post(second + "/sessions/" + sessionId + "/messages", "{\"text\":\"hello\"}");
    assertThat(sent.status()).as("%s", sent).isEqualTo(202);
    awaitRunning(alice, second);
    assertThat(liveSandboxes()).isEqualTo(1);
  }

  @Test
  void aTaskWhoseCloneFailedFreesItsSandboxWhenArchived() throws Exception {
    start(Map.of("FOUNDRY_MAX_SANDBOXES", "1"));
    Browser alice = server.browser();
    User a = User.signIn(alice, "alice", dir);
    // A remote that is gone by the time the sandbox clones it: the sandbox exists, the task's
    // first session ends in error.
    Path gone = dir.resolve("remotes").resolve("alice").resolve("remote.git");
    org.assertj.core.util.Files.delete(gone.toFile());
    String broken = a.task("broken");
    JsonNode session = awaitSession(alice, broken, s -> s.path("status").asText().equals("error"));
    assertThat(session.path("errorMessage").asText()).doesNotContain("sandbox_limit_reached");
    assertThat(liveSandboxes()).isEqualTo(1);

    assertThat(alice.post(broken + "/archive", null).status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(60)).until(() -> liveSandboxes() == 0);
  }

  @Test
  void sandboxesThatSurviveARestartStillCount() throws Exception {
    Map<String, String> limits = Map.of("FOUNDRY_MAX_SANDBOXES", "1");
    start(limits);
    Browser alice = server.browser();
    User a = User.signIn(alice, "alice", dir);
    String first = a.task("first");
    awaitRunning(alice, first);
    server.close();
    server = null;

    // The new process has not run the first task's actor yet: the provider's list counts it.
    start(limits);
    assertThat(liveSandboxes()).isEqualTo(1);
    Browser bob = server.browser();
    User b = User.signIn(bob, "bob", dir);
    String second = b.task("second");
    JsonNode session = awaitSession(bob, second, s -> s.path("status").asText().equals("error"));
    assertThat(session.path("errorMessage").asText()).contains("sandbox_limit_reached");
  }

  @Test
  void aUsersAgentKeyReachesTheirSandboxesOnlyAndNeverAnAnswer() throws Exception {
    start(Map.of());
    Browser alice = server.browser();
    Browser bob = server.browser();
    User a = User.signIn(alice, "alice", dir);
    User b = User.signIn(bob, "bob", dir);

    // Bad provider names are refused; the key is never echoed back.
    Browser.Answer bad =
        alice.put("/v1/app/provider-credentials/gemini", "{\"apiKey\":\"" + ALICE_KEY + "\"}");
    assertThat(bad.status()).as("%s", bad).isEqualTo(422);
    assertThat(bad.errorCode()).isEqualTo("invalid_provider");
    assertThat(alice.put("/v1/app/provider-credentials/anthropic", "{\"apiKey\":\"\"}").status())
        .isEqualTo(422);
    Browser.Answer stored =
        alice.put("/v1/app/provider-credentials/anthropic", "{\"apiKey\":\"" + ALICE_KEY + "\"}");
    assertThat(stored.status()).as("%s", stored).isEqualTo(200);
    assertThat(stored.text()).doesNotContain(ALICE_KEY);
    assertThat(stored.json().path("anthropic").asBoolean()).isTrue();
    assertThat(stored.json().path("openai").asBoolean()).isFalse();
    JsonNode app = alice.get("/v1/app").json();
    assertThat(app.path("providerCredentials").path("anthropic").asBoolean()).isTrue();
    assertThat(alice.get("/v1/app").text()).doesNotContain(ALICE_KEY);
    assertThat(bob.get("/v1/app").json().path("providerCredentials").path("anthropic").asBoolean())
        .isFalse();

    String aliceTask = a.task("alice's work");
    String bobTask = b.task("bob's work");
    awaitRunning(alice, aliceTask);
    awaitRunning(bob, bobTask);
    assertThat(env(alice, aliceTask)).containsEntry("ANTHROPIC_API_KEY", ALICE_KEY);
    Map<String, String> bobs = env(bob, bobTask);
    assertThat(bobs).doesNotContainKey("ANTHROPIC_API_KEY");
    assertThat(bobs.values()).doesNotContain(ALICE_KEY);

    // Removed: new sandboxes of alice's do not get it.
    Browser.Answer removed = alice.delete("/v1/app/provider-credentials/anthropic");
    assertThat(removed.status()).as("%s", removed).isEqualTo(200);
    assertThat(removed.json().path("anthropic").asBoolean()).isFalse();
    String later = a.task("after removal");
    awaitRunning(alice, later);
    assertThat(env(alice, later)).doesNotContainKey("ANTHROPIC_API_KEY");
  }

  @Test
  void aNewOwnerRestartsTheSandboxWithTheirKeysAndNoProcessKeepsThePreviousOwners()
      throws Exception {
    start(Map.of());
    // Keys of this test only: sandboxes of other tests may still run with the shared ones.
    String aliceKey = "sk-ant-alice-owner-" + java.util.UUID.randomUUID();
    String bobKey = "sk-ant-bob-owner-" + java.util.UUID.randomUUID();
    Browser alice = server.browser();
    Browser bob = server.browser();
    User a = User.signIn(alice, "alice", dir);
    User.signIn(bob, "bob", dir);
    assertThat(
            alice
                .put("/v1/app/provider-credentials/anthropic", "{\"apiKey\":\"" + aliceKey + "\"}")
                .status())
        .isEqualTo(200);
    assertThat(
            bob.put("/v1/app/provider-credentials/anthropic", "{\"apiKey\":\"" + bobKey + "\"}")
                .status())
        .isEqualTo(200);
    String orgId = a.base().substring(a.base().lastIndexOf('/') + 1);
    server
        .app()
        .runtime()
        .get(OrganizationProtocol.TYPE, OrganizationProtocol.key(orgId))
        .ask(
            new OrganizationProtocol.UpsertMember(
                new FoundryOrganizationMember(
                    "local-bob", "bob", "bob@example.com", "member", "active")))
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);

    String task = a.task("shared work");
    awaitRunning(alice, task);
    JsonNode session = awaitSession(alice, task, s -> s.path("status").asText().equals("idle"));
    String sessionId = session.path("id").asText();
    // A process of alice's that outlives its parent: the owner change must end it too.
    created(
        alice.post(
            task + "/sandbox/processes",
            "{\"command\":\"sh\",\"args\":[\"-c\"," + "\"setsid sleep 300 & echo started\"]}"));
    assertThat(AgentShell.run(alice, task, sessionId, "printenv ANTHROPIC_API_KEY"))
        .contains(aliceKey);

    Browser.Answer changed = alice.put(task + "/owner", "{\"userId\":\"local-bob\"}");
    assertThat(changed.status()).as("%s", changed).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> env(alice, task).get("ANTHROPIC_API_KEY"), bobKey::equals);

    Map<String, String> after = env(alice, task);
    assertThat(after.values()).doesNotContain(aliceKey);
    // Bob sends (a message from alice would make her the owner again, as upstream does).
    String seen = AgentShell.run(bob, task, sessionId, "printenv ANTHROPIC_API_KEY; ps -eo args");
    assertThat(seen).contains(bobKey).doesNotContain(aliceKey).doesNotContain("sleep 300");
    // Nothing on the host that descends from the sandbox still holds alice's key.
    assertThat(hostProcessesHolding(aliceKey)).isEmpty();
  }

  @Test
  void aSessionOfAClaudeModelThatTheOfflineAgentRunsSaysSo() throws Exception {
    start(Map.of());
    Browser alice = server.browser();
    User a = User.signIn(alice, "alice", dir);
    String task = a.task("claude please", "claude-sonnet-4");
    JsonNode session = awaitSession(alice, task, s -> s.path("agent").asText().equals("Offline"));
    assertThat(session.path("model").asText()).isEqualTo("claude-sonnet-4");
    String sessionId = session.path("id").asText();

    JsonNode detail = alice.get(task + "/sessions/" + sessionId).json();
    assertThat(detail.path("agent").asText()).isEqualTo("Offline");
    JsonNode note = null;
    for (JsonNode e : detail.path("transcript")) {
      if (e.path("sender").asText().equals("system")
          && e.path("payload").path("sessionUpdate").isMissingNode()
          && e.path("payload").has("agent")) {
        note = e.path("payload");
      }
    }
    assertThat(note).as("the transcript of %s", detail).isNotNull();
    assertThat(note.path("agent").asText()).isEqualTo("mock");
    assertThat(note.path("text").asText())
        .contains("the offline agent (mock) runs this session, not claude");
    assertThat(detail.path("errorMessage").isNull() || detail.path("errorMessage").isMissingNode())
        .isTrue();
  }

  // --- helpers

  private int liveSandboxes() {
    return dev.foundry.backend.sandbox.SandboxHost.get(server.app().system()).liveCount();
  }

  /** A signed-in user with a repository in their organization. */
  private record User(Browser browser, String base, String repoId) {
    static User signIn(Browser browser, String login, Path dir) throws Exception {
      String org = browser.signIn(login).json().path("activeOrganizationId").asText();
      String base = "/v1/organizations/" + org;
      Path remotes = java.nio.file.Files.createDirectories(dir.resolve("remotes").resolve(login));
      String remote = Git.seedRemote(remotes).toUri().toString();
      String repoId =
          created(browser.post(base + "/repos", "{\"remoteUrl\":\"" + remote + "\"}"))
              .path("repoId")
              .asText();
      return new User(browser, base, repoId);
    }

    String task(String prompt) {
      return task(prompt, null);
    }

    String task(String prompt, String model) {
      String body =
          "{\"repoId\":\""
              + repoId
              + "\",\"task\":\""
              + prompt
              + "\""
              + (model == null ? "" : ",\"model\":\"" + model + "\"")
              + "}";
      return base + "/tasks/" + created(browser.post(base + "/tasks", body)).path("id").asText();
    }
  }

  private static void awaitRunning(Browser user, String task) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> user.get(task + "/sandbox").json().path("state").asText(), "running"::equals);
  }

  private static JsonNode awaitSession(
      Browser user, String task, java.util.function.Predicate<JsonNode> ready) {
    JsonNode[] found = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              for (JsonNode s : user.get(task).json().path("sessionsSummary")) {
                if (ready.test(s)) {
                  found[0] = s;
                  return true;
                }
              }
              return false;
            });
    return found[0];
  }

  /** Host processes whose environment contains {@code value}. */
  private static java.util.List<Long> hostProcessesHolding(String value) {
    return ProcessHandle.allProcesses()
        .filter(
            p -> {
              try {
                return new String(
                        java.nio.file.Files.readAllBytes(Path.of("/proc/" + p.pid() + "/environ")))
                    .contains(value);
              } catch (Exception e) {
                return false;
              }
            })
        .map(ProcessHandle::pid)
        .toList();
  }

  private static Map<String, String> env(Browser user, String task) {
    String processId =
        created(
                user.post(
                    task + "/sandbox/processes",
                    "{\"command\":\"sh\",\"args\":[\"-c\",\"env; echo END-OF-ENV\"]}"))
            .path("id")
            .asText();
    String[] out = new String[1];
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              StringBuilder b = new StringBuilder();
              for (JsonNode e :
                  user.get(task + "/sandbox/processes/" + processId + "/logs").json()) {
                if (!"stderr".equals(e.path("stream").asText())) {
                  b.append(e.path("text").asText());
                }
              }
              out[0] = b.toString();
              return out[0].contains("END-OF-ENV");
            });
    Map<String, String> env = new HashMap<>();
    for (String line : out[0].substring(0, out[0].indexOf("END-OF-ENV")).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    assertThat(env).as("env printed: %s", out[0]).containsKey("HOME");
    return env;
  }

  private static JsonNode created(Browser.Answer answer) {
    assertThat(answer.status()).as("%s", answer).isEqualTo(201);
    return answer.json();
  }
}
