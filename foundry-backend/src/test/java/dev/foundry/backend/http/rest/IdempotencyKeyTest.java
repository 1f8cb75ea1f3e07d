package dev.foundry.backend.http.rest;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.contracts.TaskRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Idempotency-Key} on the creating POSTs, over real sockets on the real backend: a retry
 * answers the first result and creates nothing, per user, durably across a restart.
 */
class IdempotencyKeyTest {
  private static final String KEY = "Idempotency-Key";

  @TempDir static Path dir;
  private static ApiServer server;
  private static Browser alice;
  private static String aliceOrg;
  private static String repoId;
  private static Browser bob;
  private static String bobOrg;
  private static String bobRepo;

  @BeforeAll
  static void start() throws Exception {
    server = ApiServer.start(dir);
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    alice = server.browser();
    aliceOrg = signIn(alice, "alice-" + suffix).path("activeOrganizationId").asText();
    repoId = addRepo(server, alice, aliceOrg, "alice-app");
    bob = server.browser();
    bobOrg = signIn(bob, "bob-" + suffix).path("activeOrganizationId").asText();
    bobRepo = addRepo(server, bob, bobOrg, "bob-app");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  // --- helpers ---------------------------------------------------------------------------------

  private static JsonNode signIn(Browser browser, String login) {
    Answer a = browser.signIn(login);
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    return a.json();
  }

  private static String addRepo(ApiServer server, Browser browser, String org, String name)
      throws Exception {
    Answer a =
        browser.post(
            tasksOf(org).replace("/tasks", "/repos"),
            "{\"remoteUrl\":\"" + server.bareRepository(name) + "\"}");
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    return a.json().path("repoId").asText();
  }

  private static String tasksOf(String org) {
    return "/v1/organizations/" + org + "/tasks";
  }

  private static String taskBody(String repo, String prompt) {
    return "{\"repoId\":\"" + repo + "\",\"task\":\"" + prompt + "\"}";
  }

  /** How many tasks the organization lists. */
  private static int taskCount(Browser browser, String org) {
    Answer list = browser.get(tasksOf(org));
    assertThat(list.status()).as(list.toString()).isEqualTo(200);
    return list.json().size();
  }

  private static boolean replayed(Answer a) {
    return a.raw().headers().firstValue(IdempotencyKeys.REPLAYED).isPresent();
  }

  private static String newKey() {
    return "key-" + UUID.randomUUID();
  }

  // --- tests -----------------------------------------------------------------------------------

  @Test
  void theOpenApiDocumentListsTheHeaderOnTheCreatingPostsOnly() {
    JsonNode paths = alice.get("/v1/openapi.json").json().path("paths");
    List<String> withKey = new ArrayList<>();
    for (Map.Entry<String, JsonNode> path : paths.properties()) {
      for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
        for (JsonNode p : op.getValue().path("parameters")) {
          if (p.path("in").asText().equals("header") && p.path("name").asText().equals(KEY)) {
            assertThat(p.path("schema").path("maxLength").asInt()).isEqualTo(255);
            withKey.add(op.getValue().path("operationId").asText());
          }
        }
      }
    }
    assertThat(withKey)
        .containsExactlyInAnyOrder(
            "addRepo", "createTask", "createSession", "sendMessage", "startProcess");
  }

  @Test
  void twoCreatesWithOneKeyMakeOneTask() {
    String key = newKey();
    int before = taskCount(alice, aliceOrg);
    Answer first = alice.post(tasksOf(aliceOrg), taskBody(repoId, "Once only"), KEY, key);
    Answer retry = alice.post(tasksOf(aliceOrg), taskBody(repoId, "Once only"), KEY, key);

    assertThat(first.status()).as(first.toString()).isEqualTo(201);
    assertThat(replayed(first)).isFalse();
    assertThat(retry.status()).isEqualTo(201);
    assertThat(retry.text()).isEqualTo(first.text());
    assertThat(replayed(retry)).isTrue();
    assertThat(taskCount(alice, aliceOrg)).isEqualTo(before + 1);

    // Without a key every POST creates.
    Answer a = alice.post(tasksOf(aliceOrg), taskBody(repoId, "Twice over"));
    Answer b = alice.post(tasksOf(aliceOrg), taskBody(repoId, "Twice over"));
    assertThat(a.status()).isEqualTo(201);
    assertThat(b.status()).isEqualTo(201);
    assertThat(taskCount(alice, aliceOrg)).isEqualTo(before + 3);
  }

  @Test
  void theSameKeyForAnotherRequestIsRefusedAndCreatesNothing() {
    String key = newKey();
    assertThat(alice.post(tasksOf(aliceOrg), taskBody(repoId, "First use"), KEY, key).status())
        .isEqualTo(201);
    int before = taskCount(alice, aliceOrg);

    Answer otherBody = alice.post(tasksOf(aliceOrg), taskBody(repoId, "Second use"), KEY, key);
    assertThat(otherBody.status()).isEqualTo(422);
    assertThat(otherBody.errorCode()).isEqualTo("idempotency_key_reused");
    Answer otherPath =
        alice.post(
            tasksOf(aliceOrg).replace("/tasks", "/repos"),
            "{\"remoteUrl\":\"file:///srv/x.git\"}",
            KEY,
            key);
    assertThat(otherPath.status()).isEqualTo(422);
    assertThat(otherPath.errorCode()).isEqualTo("idempotency_key_reused");
    assertThat(taskCount(alice, aliceOrg)).isEqualTo(before);
  }

  @Test
  void aMalformedKeyIsRefusedBeforeAnythingRuns() {
    int before = taskCount(alice, aliceOrg);
    Answer tooLong =
        alice.post(tasksOf(aliceOrg), taskBody(repoId, "Bad key"), KEY, "k".repeat(256));
    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(tooLong.errorCode()).isEqualTo("invalid_idempotency_key");
    Answer twice = alice.post(tasksOf(aliceOrg), taskBody(repoId, "Bad key"), KEY, "a", KEY, "b");
    assertThat(twice.status()).isEqualTo(400);
    assertThat(twice.errorCode()).isEqualTo("invalid_idempotency_key");
    assertThat(taskCount(alice, aliceOrg)).isEqualTo(before);
    // 255 printable characters, spaces and symbols included, are a key.
    String longest = ("a b~!" + "x".repeat(250));
    assertThat(alice.post(tasksOf(aliceOrg), taskBody(repoId, "Long key"), KEY, longest).status())
        .isEqualTo(201);
  }

  @Test
  void keysArePerUser() {
    String key = newKey();
    int bobsBefore = taskCount(bob, bobOrg);
    Answer a = alice.post(tasksOf(aliceOrg), taskBody(repoId, "Mine"), KEY, key);
    Answer b = bob.post(tasksOf(bobOrg), taskBody(bobRepo, "Mine"), KEY, key);
    assertThat(a.status()).isEqualTo(201);
    assertThat(b.status()).as(b.toString()).isEqualTo(201);
    assertThat(replayed(b)).isFalse();
    assertThat(b.json().path("id").asText()).isNotEqualTo(a.json().path("id").asText());
    assertThat(taskCount(bob, bobOrg)).isEqualTo(bobsBefore + 1);
  }

  @Test
  void aRefusedCreateIsAnsweredAgainAndOtherCreatingRoutesReplayToo() {
    String key = newKey();
    Answer missing = alice.post(tasksOf(aliceOrg), taskBody("no-such-repo", "Nowhere"), KEY, key);
    assertThat(missing.status()).isEqualTo(404);
    Answer again = alice.post(tasksOf(aliceOrg), taskBody("no-such-repo", "Nowhere"), KEY, key);
    assertThat(again.status()).isEqualTo(404);
    assertThat(again.text()).isEqualTo(missing.text());
    assertThat(replayed(again)).isTrue();

    String repos = tasksOf(aliceOrg).replace("/tasks", "/repos");
    String repoKey = newKey();
    String body = "{\"remoteUrl\":\"file:///srv/git/replayed.git\"}";
    Answer added = alice.post(repos, body, KEY, repoKey);
    Answer addedAgain = alice.post(repos, body, KEY, repoKey);
    assertThat(added.status()).as(added.toString()).isEqualTo(201);
    assertThat(addedAgain.status()).isEqualTo(201);
    assertThat(addedAgain.text()).isEqualTo(added.text());
    assertThat(replayed(addedAgain)).isTrue();
  }

  @Test
  void concurrentCreatesWithOneKeyMakeOneTask() throws Exception {
    String key = newKey();
    int before = taskCount(alice, aliceOrg);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<CompletableFuture<Answer>> calls = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        calls.add(
            CompletableFuture.supplyAsync(
                () -> alice.post(tasksOf(aliceOrg), taskBody(repoId, "Raced"), KEY, key), pool));
      }
      List<Answer> answers = calls.stream().map(CompletableFuture::join).toList();
      String createdBody = null;
      for (Answer a : answers) {
        if (a.status() == 201) {
          createdBody = createdBody == null ? a.text() : createdBody;
          assertThat(a.text()).isEqualTo(createdBody);
        } else {
          assertThat(a.status()).as(a.toString()).isEqualTo(409);
          assertThat(a.errorCode()).isEqualTo("idempotency_key_in_use");
        }
      }
      assertThat(createdBody).isNotNull();
    } finally {
      pool.shutdownNow();
    }
    assertThat(taskCount(alice, aliceOrg)).isEqualTo(before + 1);
  }

  @Test
  void aKeyOutlivesARestartAndAnInterruptedCreateRunsAgainIntoTheSameTask(@TempDir Path own)
      throws Exception {
    String key = newKey();
    String interrupted = newKey();
    String cookie;
    String org;
    String repo;
    String firstBody;
    String createdBeforeTheCrash;
    try (ApiServer first = ApiServer.start(own)) {
      Browser carol = first.browser();
      JsonNode session = signIn(carol, "carol-" + UUID.randomUUID().toString().substring(0, 6));
      org = session.path("activeOrganizationId").asText();
      String userId = session.path("user").path("id").asText();
      repo = addRepo(first, carol, org, "carol-app");
      Answer created = carol.post(tasksOf(org), taskBody(repo, "Durable key"), KEY, key);
      assertThat(created.status()).as(created.toString()).isEqualTo(201);
      firstBody = created.text();
      cookie = carol.cookie();

      // A create that a crash interrupted: the key claimed by that server run, the task created,
      // the answer never kept.
      DurableRuntime runtime = first.app().runtime();
      String body = taskBody(repo, "Interrupted");
      await(
          runtime
              .getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId))
              .ask(
                  new UserProtocol.ClaimIdempotencyKey(
                      interrupted,
                      IdempotencyKeys.hash(
                          "POST", tasksOf(org), body.getBytes(StandardCharsets.UTF_8)),
                      "a-crashed-run")));
      TaskRecord task =
          await(
              runtime
                  .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(org))
                  .ask(
                      new OrganizationProtocol.CreateTaskForRequest(
                          IdempotencyKeys.requestKey(userId, interrupted),
                          OrganizationProtocol.CreateTask.fromPrompt(
                              repo,
                              "Interrupted",
                              null,
                              null,
                              new TaskOwner(userId, "carol", "", null),
                              null))));
      createdBeforeTheCrash = task.taskId();
    }

    try (ApiServer second = ApiServer.start(own)) {
      Browser carol = second.browser().withCookie(cookie);
      Answer retry = carol.post(tasksOf(org), taskBody(repo, "Durable key"), KEY, key);
      assertThat(retry.status()).as(retry.toString()).isEqualTo(201);
      assertThat(retry.text()).isEqualTo(firstBody);
      assertThat(replayed(retry)).isTrue();
      // Carol's organization has the two tasks created before the restart, no more.
      assertThat(taskCount(carol, org)).isEqualTo(2);

      // The interrupted create runs again (its run is gone) and reaches the task it created.
      Answer resumed = carol.post(tasksOf(org), taskBody(repo, "Interrupted"), KEY, interrupted);
      assertThat(resumed.status()).as(resumed.toString()).isEqualTo(201);
      assertThat(replayed(resumed)).isFalse();
      assertThat(resumed.json().path("id").asText()).isEqualTo(createdBeforeTheCrash);
      assertThat(taskCount(carol, org)).isEqualTo(2);
      // Now its answer is kept.
      Answer kept = carol.post(tasksOf(org), taskBody(repo, "Interrupted"), KEY, interrupted);
      assertThat(replayed(kept)).isTrue();
      assertThat(kept.text()).isEqualTo(resumed.text());
    }
  }
}
