package dev.foundry.backend.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task's sandbox clones and pushes a private repository with the task owner's GitHub token, and
 * the token of one organization's member never reaches another organization's sandbox.
 */
class SandboxGitTokenTest {
  @TempDir Path dir;
  private FakeGitHub github;
  private ApiServer server;

  @BeforeEach
  void start() throws Exception {
    github = new FakeGitHub(dir);
    Map<String, String> env = new HashMap<>(github.environment());
    env.put("SANDBOX_AGENT_BIN", SandboxAgentBin.path().toString());
    server = ApiServer.start(dir, env);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    github.close();
  }

  @Test
  void eachOrganizationsSandboxClonesAndPushesWithItsOwnersTokenOnly() throws Exception {
    FakeGitHub.User alice = github.user("alice", "alice@acme.example");
    FakeGitHub.User bob = github.user("bob", "bob@globex.example");
    github.join(alice, "acme", "admin");
    github.join(bob, "globex", "admin");
    String acmeRemote = github.privateRepository("acme/app", alice);
    String globexRemote = github.privateRepository("globex/site", bob);

    Browser a = GithubBrowser.signedIn(server, github, alice);
    Browser b = GithubBrowser.signedIn(server, github, bob);
    String acmeTask = task(a, "acme", acmeRemote);
    String globexTask = task(b, "globex", globexRemote);

    String acmeBranch = pushed(a, "acme", acmeTask);
    String globexBranch = pushed(b, "globex", globexTask);

    // Cloned and pushed with the owner's token: the branch is on GitHub, and git authenticated as
    // the owner (the fake refuses every other token for a private repository).
    assertThat(github.log("acme/app", acmeBranch)).containsExactly("first");
    assertThat(github.log("globex/site", globexBranch)).containsExactly("first");
    assertThat(github.gitUsers("acme/app")).isNotEmpty().allMatch("alice"::equals);
    assertThat(github.gitUsers("globex/site")).isNotEmpty().allMatch("bob"::equals);

    // Each sandbox's credential file holds its own owner's token and nothing else.
    String acmeCredentials = credentialsOf(acmeTask);
    String globexCredentials = credentialsOf(globexTask);
    assertThat(acmeCredentials).contains(alice.token).doesNotContain(bob.token);
    assertThat(globexCredentials).contains(bob.token).doesNotContain(alice.token);
    assertThat(acmeCredentials.strip().lines()).hasSize(1);
    assertThat(globexCredentials.strip().lines()).hasSize(1);
  }

  @Test
  void anOwnerChangeRewritesTheCredentialWithTheNewOwnersToken() throws Exception {
    FakeGitHub.User alice = github.user("alice", "alice@acme.example");
    FakeGitHub.User bob = github.user("bob", "bob@acme.example");
    github.join(alice, "acme", "admin");
    github.join(bob, "acme", "member");
    String remote = github.privateRepository("acme/app", alice, bob);
    Browser a = GithubBrowser.signedIn(server, github, alice);
    Browser b = GithubBrowser.signedIn(server, github, bob);
    String taskId = task(a, "acme", remote);
    String path = "/v1/organizations/acme/tasks/" + taskId;
    pushed(a, "acme", taskId);
    assertThat(credentialsOf(taskId)).contains(alice.token);

    String bobId = "github-" + bob.id;
    Answer changed = a.put(path + "/owner", "{\"userId\":\"" + bobId + "\"}");
    assertThat(changed.status()).as("%s", changed).isEqualTo(202);
    await().atMost(Duration.ofSeconds(60)).until(() -> credentialsOf(taskId).contains(bob.token));
    assertThat(credentialsOf(taskId)).doesNotContain(alice.token);

    int before = github.gitUsers("acme/app").size();
    String branch = pushed(b, "acme", taskId);
    assertThat(github.log("acme/app", branch)).containsExactly("first");
    assertThat(github.gitUsers("acme/app").subList(before, github.gitUsers("acme/app").size()))
        .isNotEmpty()
        .allMatch("bob"::equals);
  }

  private String task(Browser user, String org, String remote) {
    Answer repo =
        user.post("/v1/organizations/" + org + "/repos", "{\"remoteUrl\":\"" + remote + "\"}");
    assertThat(repo.status()).as("%s", repo).isIn(200, 201);
    Answer task =
        user.post(
            "/v1/organizations/" + org + "/tasks",
            "{\"repoId\":\"" + repo.json().path("repoId").asText() + "\",\"task\":\"hello\"}");
    assertThat(task.status()).as("%s", task).isIn(200, 201);
    return task.json().path("id").asText();
  }

  /** Waits for the task's sandbox to be ready, then pushes; answers the pushed branch. */
  private String pushed(Browser user, String org, String taskId) {
    String path = "/v1/organizations/" + org + "/tasks/" + taskId;
    JsonNode[] result = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> {
              Answer push = user.post(path + "/push", null);
              if (push.status() == 200) {
                result[0] = push.json();
                return true;
              }
              assertThat(push.errorCode())
                  .as("%s; task: %s", push, user.get(path))
                  .isIn("no_active_sandbox", "sandbox_not_ready", "command_timeout");
              return false;
            });
    return result[0].path("branch").asText();
  }

  private String credentialsOf(String taskId) throws Exception {
    while (true) {
      try {
        return findCredentials(taskId);
      } catch (java.io.UncheckedIOException e) {
        // The sandbox's own files are replaced while the walk runs (a .tmp renamed over its file):
        // walk again.
        if (!(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
          throw e;
        }
      }
    }
  }

  private String findCredentials(String taskId) throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> found =
          files
              .filter(p -> p.getFileName().toString().equals("git-credentials"))
              .filter(p -> p.toString().contains(taskId))
              .toList();
      assertThat(found).as("credential file of %s", taskId).hasSize(1);
      return Files.readString(found.get(0));
    }
  }
}
