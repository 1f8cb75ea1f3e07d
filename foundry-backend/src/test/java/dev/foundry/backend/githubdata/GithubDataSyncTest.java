package dev.foundry.backend.githubdata;

import static dev.foundry.backend.githubdata.GithubWebhookHttpTest.SECRET;
import static dev.foundry.backend.githubdata.GithubWebhookHttpTest.deliverSigned;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.backend.github.FakeGitHub;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The github-data actor against a local {@link FakeGitHub}, driven as GitHub drives it (signed
 * webhooks) and as members do ({@code POST .../github/sync}): a full sync in phases with progress
 * on the organization and a sweep, pull requests opened, edited, closed and merged with the virtual
 * task summaries following (no task actor), a redelivery changing nothing, an uninstall clearing
 * the cache, and a sync stopped in its pull-request phase resuming after a restart.
 */
class GithubDataSyncTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private FakeGitHub github;
  private ApiServer server;

  @BeforeEach
  void start() throws Exception {
    github = new FakeGitHub(dir);
    server = ApiServer.start(dir, environment(github));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    github.close();
  }

  /** The GitHub App and the webhook on the fake; dev sign-in instead of the OAuth App. */
  static Map<String, String> environment(FakeGitHub github) {
    Map<String, String> env = new HashMap<>(github.environment());
    env.remove("GITHUB_CLIENT_ID");
    env.remove("GITHUB_CLIENT_SECRET");
    env.put("FOUNDRY_DEV_AUTH", "true");
    env.put("GITHUB_WEBHOOK_SECRET", SECRET);
    return env;
  }

  private record Owner(Browser browser, String login, String org, long installationId) {}

  private Owner owner(String name) {
    Browser b = server.browser();
    String login = name + "-" + UUID.randomUUID().toString().substring(0, 6);
    Answer session = b.signIn(login);
    assertThat(session.status()).as("%s", session).isEqualTo(200);
    long installation = github.install(login, "User");
    return new Owner(b, login, session.json().path("activeOrganizationId").asText(), installation);
  }

  private JsonNode summary(Owner o) {
    return summary(server, o);
  }

  private static JsonNode summary(ApiServer server, Owner o) {
    Answer a =
        server.browser().withCookie(o.browser().cookie()).get("/v1/organizations/" + o.org());
    assertThat(a.status()).as("%s", a).isEqualTo(200);
    return a.json();
  }

  private void awaitSummary(Owner o, Predicate<JsonNode> condition) {
    try {
      await().atMost(WAIT).until(() -> condition.test(summary(o)));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("not reached; the organization shows " + summary(o), e);
    }
  }

  private static ObjectNode installationPayload(String action, Owner o) {
    ObjectNode p = JSON.createObjectNode();
    p.put("action", action);
    ObjectNode i = p.putObject("installation");
    i.put("id", o.installationId());
    i.putObject("account").put("login", o.login()).put("type", "User");
    p.putObject("sender").put("login", o.login());
    return p;
  }

  private static ObjectNode pullRequestPayload(
      String action, Owner o, ObjectNode repository, ObjectNode pullRequest) {
    ObjectNode p = installationPayload(action, o);
    p.put("number", pullRequest.path("number").asInt());
    p.set("pull_request", pullRequest.deepCopy());
    p.set("repository", repository);
    return p;
  }

  private Answer deliver(String event, String id, ObjectNode payload) throws Exception {
    return deliverSigned(server, event, id, JSON.writeValueAsString(payload));
  }

  private static List<String> openPrTitles(JsonNode summary) {
    List<String> titles = new ArrayList<>();
    summary.path("openPullRequests").forEach(p -> titles.add(p.path("title").asText()));
    return titles;
  }

  private static JsonNode taskOnBranch(JsonNode summary, String branch) {
    for (JsonNode t : summary.path("taskSummaries")) {
      if (branch.equals(t.path("branch").asText())) {
        return t;
      }
    }
    return null;
  }

  @Test
  void aFullSyncReportsItsPhasesImportsEverythingAndSweepsWhatGitHubNoLongerHas() throws Exception {
    Owner alice = owner("alice");
    ObjectNode one = github.repository(alice.login() + "/one", false);
    github.repository(alice.login() + "/two", true);
    github.repository(alice.login() + "/three", false);
    ObjectNode fix =
        github.openPullRequest(alice.login() + "/one", "fix-login", "Fix login", "bob");
    github.openPullRequest(alice.login() + "/one", "docs", "Docs", "carol");
    github.openPullRequest(alice.login() + "/two", "speed", "Speed up", "bob");

    CountDownLatch gate = new CountDownLatch(1);
    github.holdPullRequestListing(gate);
    Answer installed =
        deliver(
            "installation", UUID.randomUUID().toString(), installationPayload("created", alice));
    assertThat(installed.status()).as("%s", installed).isEqualTo(200);

    // Held in the pull-request phase: the organization shows where the sync is.
    awaitSummary(
        alice, s -> "syncing_pull_requests".equals(s.path("github").path("syncPhase").asText()));
    JsonNode during = summary(alice).path("github");
    assertThat(during.path("syncStatus").asText()).isEqualTo("syncing");
    assertThat(during.path("totalRepositoryCount").asInt()).isEqualTo(3);
    assertThat(during.path("installationStatus").asText()).isEqualTo("connected");

    // A member's request while it runs joins it.
    Answer joined = alice.browser().post("/v1/organizations/" + alice.org() + "/github/sync", null);
    assertThat(joined.status()).as("%s", joined).isEqualTo(202);
    assertThat(joined.json().path("started").asBoolean()).isFalse();
    assertThat(joined.json().path("generation").asLong()).isEqualTo(1);

    gate.countDown();
    awaitSummary(alice, s -> "synced".equals(s.path("github").path("syncStatus").asText()));
    awaitSummary(alice, s -> s.path("openPullRequests").size() == 3);
    JsonNode done = summary(alice);
    JsonNode gh = done.path("github");
    assertThat(gh.path("syncPhase").isTextual()).as("no phase once synced: %s", gh).isFalse();
    assertThat(gh.path("processedRepositoryCount").asInt()).isEqualTo(3);
    assertThat(gh.path("lastSyncLabel").asText()).isEqualTo("Synced 3 repositories");
    assertThat(gh.path("lastSyncAt").asLong()).isPositive();
    assertThat(gh.path("syncGeneration").asLong()).isEqualTo(1);
    assertThat(openPrTitles(done)).containsExactlyInAnyOrder("Fix login", "Docs", "Speed up");
    awaitSummary(alice, s -> s.path("repos").size() == 3);
    JsonNode task = taskOnBranch(done, "fix-login");
    assertThat(task).as("a virtual task for the branch").isNotNull();
    assertThat(task.path("pullRequest").path("number").asInt())
        .isEqualTo(fix.path("number").asInt());
    assertThat(task.path("title").asText()).isEqualTo("Fix login");
    // The repository's overview: its open pull requests and its tasks by branch.
    Answer overview =
        alice
            .browser()
            .get("/v1/organizations/" + alice.org() + "/repos/" + task.path("repoId").asText());
    assertThat(overview.status()).as("%s", overview).isEqualTo(200);
    assertThat(overview.json().path("label").asText()).isEqualTo(alice.login() + "/one");
    List<String> prTitles = new ArrayList<>();
    overview.json().path("openPullRequests").forEach(p -> prTitles.add(p.path("title").asText()));
    assertThat(prTitles).containsExactlyInAnyOrder("Fix login", "Docs");
    List<String> branches = new ArrayList<>();
    overview
        .json()
        .path("branches")
        .forEach(
            b -> {
              branches.add(b.path("branchName").asText());
              assertThat(b.path("tasks").size()).isEqualTo(1);
              assertThat(b.path("pullRequest").path("headRefName").asText())
                  .isEqualTo(b.path("branchName").asText());
            });
    assertThat(branches).containsExactlyInAnyOrder("fix-login", "docs");

    // GitHub drops a repository and a pull request is closed while no webhook told us.
    github.removeRepository(alice.login() + "/two");
    github.closePullRequest(alice.login() + "/one", fix.path("number").asInt(), false);
    Answer resync = alice.browser().post("/v1/organizations/" + alice.org() + "/github/sync", null);
    assertThat(resync.status()).as("%s", resync).isEqualTo(202);
    assertThat(resync.json().path("started").asBoolean()).isTrue();
    assertThat(resync.json().path("generation").asLong()).isEqualTo(2);
    awaitSummary(
        alice,
        s ->
            s.path("github").path("syncGeneration").asLong() == 2
                && "synced".equals(s.path("github").path("syncStatus").asText())
                && s.path("openPullRequests").size() == 1);
    JsonNode swept = summary(alice);
    assertThat(openPrTitles(swept)).containsExactly("Docs");
    assertThat(swept.path("github").path("lastSyncLabel").asText())
        .isEqualTo("Synced 2 repositories");
    assertThat(one.path("full_name").asText()).endsWith("/one");
  }

  @Test
  void pullRequestWebhooksDriveTheVirtualTaskUntilItIsArchived() throws Exception {
    Owner dana = owner("dana");
    ObjectNode repo = github.repository(dana.login() + "/app", false);
    ObjectNode pr = github.openPullRequest(dana.login() + "/app", "feature-x", "Feature X", "dana");
    String full = dana.login() + "/app";
    int number = pr.path("number").asInt();

    String opened = UUID.randomUUID().toString();
    ObjectNode openedPayload = pullRequestPayload("opened", dana, repo, pr);
    assertThat(deliver("pull_request", opened, openedPayload).status()).isEqualTo(200);
    awaitSummary(dana, s -> openPrTitles(s).contains("Feature X"));
    JsonNode task = taskOnBranch(summary(dana), "feature-x");
    assertThat(task.path("status").asText()).isNotEqualTo("archived");
    assertThat(task.path("pullRequest").path("state").asText()).isEqualTo("OPEN");

    ObjectNode edited = github.retitlePullRequest(full, number, "Feature X, final");
    assertThat(
            deliver(
                    "pull_request",
                    UUID.randomUUID().toString(),
                    pullRequestPayload("edited", dana, repo, edited))
                .status())
        .isEqualTo(200);
    awaitSummary(dana, s -> openPrTitles(s).contains("Feature X, final"));
    assertThat(taskOnBranch(summary(dana), "feature-x").path("pullRequest").path("title").asText())
        .isEqualTo("Feature X, final");

    ObjectNode closed = github.closePullRequest(full, number, false);
    assertThat(
            deliver(
                    "pull_request",
                    UUID.randomUUID().toString(),
                    pullRequestPayload("closed", dana, repo, closed))
                .status())
        .isEqualTo(200);
    awaitSummary(
        dana, s -> "archived".equals(taskOnBranch(s, "feature-x").path("status").asText()));
    JsonNode archived = summary(dana);
    assertThat(openPrTitles(archived)).isEmpty();
    assertThat(taskOnBranch(archived, "feature-x").path("pullRequest").path("state").asText())
        .isEqualTo("CLOSED");

    // The opened delivery again: taken before, so nothing changes.
    Answer again = deliver("pull_request", opened, openedPayload);
    assertThat(again.status()).isEqualTo(200);

    // A second pull request, merged.
    ObjectNode second = github.openPullRequest(full, "feature-y", "Feature Y", "dana");
    assertThat(
            deliver(
                    "pull_request",
                    UUID.randomUUID().toString(),
                    pullRequestPayload("opened", dana, repo, second))
                .status())
        .isEqualTo(200);
    awaitSummary(dana, s -> openPrTitles(s).contains("Feature Y"));
    ObjectNode merged = github.closePullRequest(full, second.path("number").asInt(), true);
    assertThat(
            deliver(
                    "pull_request",
                    UUID.randomUUID().toString(),
                    pullRequestPayload("closed", dana, repo, merged))
                .status())
        .isEqualTo(200);
    awaitSummary(
        dana, s -> "archived".equals(taskOnBranch(s, "feature-y").path("status").asText()));
    JsonNode after = summary(dana);
    assertThat(taskOnBranch(after, "feature-y").path("pullRequest").path("state").asText())
        .isEqualTo("MERGED");
    assertThat(openPrTitles(after)).isEmpty();
    // The redelivered "opened" did not bring feature-x back.
    assertThat(taskOnBranch(after, "feature-x").path("status").asText()).isEqualTo("archived");
  }

  @Test
  void anUninstallClearsTheCacheAndTheOpenPullRequests() throws Exception {
    Owner erin = owner("erin");
    github.repository(erin.login() + "/lib", false);
    github.openPullRequest(erin.login() + "/lib", "patch", "Patch", "erin");
    deliver("installation", UUID.randomUUID().toString(), installationPayload("created", erin));
    awaitSummary(
        erin,
        s ->
            "synced".equals(s.path("github").path("syncStatus").asText())
                && s.path("openPullRequests").size() == 1);

    Answer removed =
        deliver("installation", UUID.randomUUID().toString(), installationPayload("deleted", erin));
    assertThat(removed.status()).isEqualTo(200);
    awaitSummary(
        erin,
        s ->
            "install_required".equals(s.path("github").path("installationStatus").asText())
                && "pending".equals(s.path("github").path("syncStatus").asText())
                && s.path("openPullRequests").isEmpty());
    assertThat(summary(erin).path("github").path("lastSyncLabel").asText())
        .isEqualTo("GitHub App installation removed");

    // Installed again, then suspended: cleared too, to be reconnected.
    deliver("installation", UUID.randomUUID().toString(), installationPayload("created", erin));
    awaitSummary(
        erin,
        s ->
            "synced".equals(s.path("github").path("syncStatus").asText())
                && s.path("openPullRequests").size() == 1);
    deliver("installation", UUID.randomUUID().toString(), installationPayload("suspend", erin));
    awaitSummary(
        erin,
        s ->
            "reconnect_required".equals(s.path("github").path("installationStatus").asText())
                && s.path("openPullRequests").isEmpty()
                && "GitHub App installation suspended"
                    .equals(s.path("github").path("lastSyncLabel").asText()));
  }

  @Test
  void aSyncStoppedInItsPullRequestPhaseResumesThereAfterARestart() throws Exception {
    Owner finn = owner("finn");
    for (int i = 1; i <= 12; i++) {
      github.repository(finn.login() + "/r" + i, false);
      github.openPullRequest(finn.login() + "/r" + i, "b" + i, "PR " + i, "finn");
    }
    CountDownLatch gate = new CountDownLatch(1);
    github.holdPullRequestListing(gate);
    deliver("installation", UUID.randomUUID().toString(), installationPayload("created", finn));
    awaitSummary(
        finn, s -> "syncing_pull_requests".equals(s.path("github").path("syncPhase").asText()));
    await().atMost(WAIT).until(() -> github.count("GET", "/api/v3/repos/") > 0);
    long repositoryListings = github.count("GET", "/api/v3/installation/repositories");

    server.close();
    server = null;
    gate.countDown();
    github.holdPullRequestListing(null);

    server = ApiServer.start(dir, environment(github));
    Browser again = server.browser();
    assertThat(again.signIn(finn.login()).status()).isEqualTo(200);
    Owner back = new Owner(again, finn.login(), finn.org(), finn.installationId());
    await()
        .atMost(WAIT)
        .until(
            () -> {
              JsonNode s = summary(server, back);
              return "synced".equals(s.path("github").path("syncStatus").asText())
                  && s.path("openPullRequests").size() == 12;
            });
    assertThat(github.count("GET", "/api/v3/installation/repositories"))
        .as("the finished repository phase is not read again")
        .isEqualTo(repositoryListings);
    assertThat(summary(server, back).path("github").path("syncGeneration").asLong()).isEqualTo(1);
  }

  @Test
  void aMergedPullRequestArchivesTheRealTaskOnItsBranchWithUpstreamsReason() throws Exception {
    Owner gil = owner("gil");
    String org = "/v1/organizations/" + gil.org();
    String full = gil.login() + "/svc";
    ObjectNode repo = github.repository(full, false);
    Answer added =
        gil.browser()
            .post(org + "/repos", "{\"remoteUrl\":\"" + repo.path("clone_url").asText() + "\"}");
    assertThat(added.status()).as("%s", added).isEqualTo(201);
    Answer created =
        gil.browser()
            .post(
                org + "/tasks",
                "{\"repoId\":\""
                    + added.json().path("repoId").asText()
                    + "\",\"task\":\"Add retries\",\"branchName\":\"add-retries\"}");
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    String taskId = created.json().path("id").asText();

    ObjectNode pr = github.openPullRequest(full, "add-retries", "Add retries", gil.login());
    deliver(
        "pull_request", UUID.randomUUID().toString(), pullRequestPayload("opened", gil, repo, pr));
    awaitSummary(
        gil,
        s -> {
          JsonNode t = taskOnBranch(s, "add-retries");
          return t != null
              && t.path("pullRequest").path("number").asInt() == pr.path("number").asInt();
        });
    // The task the member created shows the pull request: no virtual task beside it.
    assertThat(taskOnBranch(summary(gil), "add-retries").path("id").asText()).isEqualTo(taskId);

    ObjectNode merged = github.closePullRequest(full, pr.path("number").asInt(), true);
    deliver(
        "pull_request",
        UUID.randomUUID().toString(),
        pullRequestPayload("closed", gil, repo, merged));
    awaitSummary(
        gil, s -> "archived".equals(taskOnBranch(s, "add-retries").path("status").asText()));
    await()
        .atMost(WAIT)
        .until(
            () -> {
              Answer log = gil.browser().get(org + "/audit-log?taskId=" + taskId);
              for (JsonNode e : log.json()) {
                if (e.path("kind").asText().equals("task.archive")
                    && e.path("payloadJson").asText().contains("PR merged")) {
                  return true;
                }
              }
              return false;
            });
  }
}
