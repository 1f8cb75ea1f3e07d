package dev.foundry.backend.githubdata;

import static dev.foundry.backend.githubdata.GithubWebhookHttpTest.SECRET;
import static dev.foundry.backend.githubdata.GithubWebhookHttpTest.deliverSigned;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.backend.github.FakeGitHub;
import dev.foundry.backend.github.GithubBrowser;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST .../tasks/{taskId}/pull-request} against {@link FakeGitHub} with a real sandbox: a
 * branch without commits is a clear 409, a branch with one is pushed with the owner's token and
 * opened as a pull request the task shows, and GitHub's {@code closed} delivery archives the task
 * with upstream's reason.
 */
class PublishPullRequestTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;
  private FakeGitHub github;
  private ApiServer server;

  @BeforeEach
  void start() throws Exception {
    github = new FakeGitHub(dir);
    Map<String, String> env = new HashMap<>(github.environment());
    env.put("SANDBOX_AGENT_BIN", SandboxAgentBin.path().toString());
    env.put("GITHUB_WEBHOOK_SECRET", SECRET);
    server = ApiServer.start(dir, env);
  }

  @AfterEach
  void stop() {
    server.close();
    github.close();
  }

  @Test
  void aTasksPullRequestIsPublishedThenClosedByWebhookWhichArchivesTheTask() throws Exception {
    FakeGitHub.User alice = github.user("alice", "alice@acme.example");
    github.join(alice, "acme", "admin");
    String remote = github.privateRepository("acme/app", alice);
    long installation = github.install("acme", "Organization");
    Browser a = GithubBrowser.signedIn(server, github, alice);
    Answer repo = a.post("/v1/organizations/acme/repos", "{\"remoteUrl\":\"" + remote + "\"}");
    assertThat(repo.status()).as("%s", repo).isIn(200, 201);
    Answer created =
        a.post(
            "/v1/organizations/acme/tasks",
            "{\"repoId\":\""
                + repo.json().path("repoId").asText()
                + "\",\"task\":\"Add retries to the client\",\"title\":\"Add retries\"}");
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    String task = "/v1/organizations/acme/tasks/" + created.json().path("id").asText();
    String branch = created.json().path("branch").asText();

    // Nothing beyond main yet: GitHub has nothing to compare, a clear 409.
    Answer[] first = new Answer[1];
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> {
              first[0] = a.post(task + "/pull-request", null);
              return first[0].status() == 409 && "no_changes".equals(first[0].errorCode());
            });
    assertThat(github.log("acme/app", branch)).containsExactly("first");

    // A commit in the sandbox, then the pull request.
    Answer process =
        a.post(
            task + "/sandbox/processes",
            "{\"command\":\"git\",\"args\":[\"-c\",\"user.name=Alice\",\"-c\","
                + "\"user.email=alice@acme.example\",\"commit\",\"--allow-empty\",\"-m\","
                + "\"Add retries\"]}");
    assertThat(process.status()).as("%s", process).isIn(200, 201);
    Answer[] published = new Answer[1];
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> {
              published[0] = a.post(task + "/pull-request", null);
              assertThat(published[0].status()).as("%s", published[0]).isIn(200, 409);
              return published[0].status() == 200;
            });
    JsonNode pr = published[0].json().path("pullRequest");
    assertThat(pr.path("number").asInt()).isPositive();
    assertThat(pr.path("title").asText()).isEqualTo(created.json().path("title").asText());
    assertThat(pr.path("headRefName").asText()).isEqualTo(branch);
    assertThat(pr.path("state").asText()).isEqualTo("OPEN");
    assertThat(github.log("acme/app", branch)).containsExactly("Add retries", "first");
    assertThat(github.gitUsers("acme/app")).isNotEmpty().allMatch("alice"::equals);

    // Publishing again: GitHub already has it.
    Answer again = a.post(task + "/pull-request", null);
    assertThat(again.status()).as("%s", again).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("pull_request_exists");

    // GitHub closes it; its delivery archives the task.
    ObjectNode repository = github.repository("acme/app", true);
    ObjectNode closed = github.closePullRequest("acme/app", pr.path("number").asInt(), false);
    ObjectNode payload = JSON.createObjectNode();
    payload.put("action", "closed");
    payload.put("number", pr.path("number").asInt());
    payload.set("pull_request", closed);
    payload.set("repository", repository);
    ObjectNode inst = payload.putObject("installation");
    inst.put("id", installation);
    inst.putObject("account").put("login", "acme").put("type", "Organization");
    Answer hook =
        deliverSigned(
            server, "pull_request", UUID.randomUUID().toString(), JSON.writeValueAsString(payload));
    assertThat(hook.status()).as("%s", hook).isEqualTo(200);
    await().atMost(WAIT).until(() -> "archived".equals(a.get(task).json().path("status").asText()));
    assertThat(a.get(task).json().path("pullRequest").path("state").asText()).isEqualTo("CLOSED");
    await()
        .atMost(WAIT)
        .until(
            () ->
                a.get(
                        "/v1/organizations/acme/audit-log?taskId="
                            + created.json().path("id").asText())
                    .text()
                    .contains("PR closed"));
  }
}
