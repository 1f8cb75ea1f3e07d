package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resource routes as two users use them, over real sockets on the real backend: each signs in,
 * adds a repository of their own personal organization by a file:// URL and works on tasks there.
 * Neither sees anything of the other's.
 */
class ResourceRoutesTest {
  @TempDir static Path dir;
  private static ApiServer server;

  private static Browser alice;
  private static String aliceOrg;
  private static String aliceId;
  private static String repoId;

  private static Browser bob;
  private static String bobOrg;
  private static String bobTaskId;

  @BeforeAll
  static void start() throws Exception {
    server = ApiServer.start(dir);
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    alice = server.browser();
    JsonNode a = ok(alice.signIn("alice-" + suffix)).json();
    aliceOrg = a.path("activeOrganizationId").asText();
    aliceId = a.path("user").path("id").asText();
    bob = server.browser();
    bobOrg = ok(bob.signIn("bob-" + suffix)).json().path("activeOrganizationId").asText();

    String remote = server.bareRepository("alice-app");
    repoId =
        created(alice.post(org(aliceOrg) + "/repos", remoteUrl(remote)))
            .json()
            .path("repoId")
            .asText();
    String bobRepo =
        created(bob.post(org(bobOrg) + "/repos", remoteUrl(server.bareRepository("bob-app"))))
            .json()
            .path("repoId")
            .asText();
    bobTaskId =
        created(bob.post(org(bobOrg) + "/tasks", taskBody(bobRepo, "bob's secret work")))
            .json()
            .path("id")
            .asText();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  // --- helpers ---------------------------------------------------------------------------------

  private static String org(String id) {
    return "/v1/organizations/" + id;
  }

  private static String remoteUrl(String url) {
    return "{\"remoteUrl\":\"" + url + "\"}";
  }

  private static String taskBody(String repo, String task) {
    return "{\"repoId\":\"" + repo + "\",\"task\":\"" + task + "\"}";
  }

  private static Answer ok(Answer a) {
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    return a;
  }

  private static Answer created(Answer a) {
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    return a;
  }

  private static Answer accepted(Answer a) {
    assertThat(a.status()).as(a.toString()).isEqualTo(202);
    assertThat(a.json().path("commandId").asText()).isNotBlank();
    return a;
  }

  private static void error(Answer a, int status, String code) {
    assertThat(a.status()).as(a.toString()).isEqualTo(status);
    assertThat(a.errorCode()).as(a.toString()).isEqualTo(code);
    assertThat(a.json().path("error").path("message").asText()).isNotBlank();
  }

  private static String newTask(String title) {
    JsonNode task = created(alice.post(org(aliceOrg) + "/tasks", taskBody(repoId, title))).json();
    return task.path("id").asText();
  }

  private static String task(String taskId) {
    return org(aliceOrg) + "/tasks/" + taskId;
  }

  // --- app -------------------------------------------------------------------------------------

  @Test
  void theAppSnapshotShowsTheSignedInUserAndTheirOrganization() {
    JsonNode app = ok(alice.get("/v1/app")).json();
    assertThat(app.path("auth").path("status").asText()).isEqualTo("signed_in");
    assertThat(app.path("auth").path("currentUserId").asText()).isEqualTo(aliceId);
    assertThat(app.path("activeOrganizationId").asText()).isEqualTo(aliceOrg);
    assertThat(app.path("organizations").findValuesAsText("id")).contains(aliceOrg);
    assertThat(app.path("organizations").findValuesAsText("id")).doesNotContain(bobOrg);
    error(server.browser().get("/v1/app"), 401, "not_signed_in");
  }

  @Test
  void aUserSelectsOnlyTheirOwnOrganization() {
    JsonNode app =
        ok(alice.post("/v1/app/active-organization", "{\"organizationId\":\"" + aliceOrg + "\"}"))
            .json();
    assertThat(app.path("activeOrganizationId").asText()).isEqualTo(aliceOrg);
    error(
        alice.post("/v1/app/active-organization", "{\"organizationId\":\"" + bobOrg + "\"}"),
        403,
        "organization_not_eligible");
    error(
        alice.post("/v1/app/active-organization", "{\"organizationId\":\"no/such\"}"),
        422,
        "invalid_organization_id");
    error(alice.post("/v1/app/active-organization", "{}"), 400, "missing_field");
  }

  @Test
  void theDefaultModelIsPerUser() {
    JsonNode app = ok(alice.put("/v1/app/default-model", "{\"model\":\"claude-sonnet-4\"}")).json();
    assertThat(app.path("users").get(0).path("defaultModel").asText()).isEqualTo("claude-sonnet-4");
    error(alice.put("/v1/app/default-model", "{\"model\":\"bad model!\"}"), 422, "invalid_model");
    error(alice.put("/v1/app/default-model", "{\"model\":true}"), 400, "invalid_field");
    // Bob's default is untouched.
    JsonNode bobApp = ok(bob.get("/v1/app")).json();
    assertThat(bobApp.path("users").get(0).path("defaultModel").asText())
        .isNotEqualTo("claude-sonnet-4");
  }

  // --- organizations and repositories ----------------------------------------------------------

  @Test
  void anOrganizationIsVisibleToItsMembersOnly() {
    JsonNode summary = ok(alice.get(org(aliceOrg))).json();
    assertThat(summary.path("organizationId").asText()).isEqualTo(aliceOrg);
    error(alice.get(org(bobOrg)), 403, "not_a_member");
    error(alice.get(org("personal-nobody-here")), 404, "organization_not_found");
    error(alice.get(org("app")), 404, "organization_not_found");
    error(alice.get(org("bad%20id")), 404, "organization_not_found");
    error(server.browser().get(org(aliceOrg)), 401, "not_signed_in");
  }

  @Test
  void repositoriesAreAddedListedAndFetched() throws Exception {
    String remote = server.bareRepository("lib-" + UUID.randomUUID());
    JsonNode repo = created(alice.post(org(aliceOrg) + "/repos", remoteUrl(remote))).json();
    assertThat(repo.path("remoteUrl").asText()).isEqualTo(remote);
    assertThat(repo.path("organizationId").asText()).isEqualTo(aliceOrg);
    String id = repo.path("repoId").asText();

    assertThat(ok(alice.get(org(aliceOrg) + "/repos")).json().findValuesAsText("repoId"))
        .contains(id, repoId);
    assertThat(ok(alice.get(org(aliceOrg) + "/repos/" + id)).json().path("remoteUrl").asText())
        .isEqualTo(remote);
    error(alice.get(org(aliceOrg) + "/repos/0123456789abcdef"), 404, "repository_not_found");
    error(alice.get(org(bobOrg) + "/repos"), 403, "not_a_member");
    error(bob.post(org(aliceOrg) + "/repos", remoteUrl(remote)), 403, "not_a_member");
    error(alice.post(org(aliceOrg) + "/repos", remoteUrl("not a url")), 422, "invalid_remote_url");
    error(alice.post(org(aliceOrg) + "/repos", "{\"remoteUrl\":\"\"}"), 422, "invalid_remote_url");
    error(alice.post(org(aliceOrg) + "/repos", "{\"url\":\"x\"}"), 400, "unknown_field");
  }

  // --- tasks -----------------------------------------------------------------------------------

  @Test
  void aTaskIsCreatedAndListed() {
    JsonNode task =
        created(
                alice.post(
                    org(aliceOrg) + "/tasks",
                    "{\"repoId\":\""
                        + repoId
                        + "\",\"task\":\"fix the login bug\",\"title\":\"Login fix\","
                        + "\"branchName\":\"fix/login\"}"))
            .json();
    String taskId = task.path("id").asText();
    assertThat(task.path("title").asText()).isEqualTo("fix: Login fix");
    assertThat(task.path("branch").asText()).isEqualTo("fix/login");
    assertThat(task.path("task").asText()).isEqualTo("fix the login bug");
    assertThat(task.path("repoId").asText()).isEqualTo(repoId);
    assertThat(task.path("primaryUserLogin").asText()).startsWith("alice-");

    assertThat(ok(alice.get(task(taskId))).json().path("id").asText()).isEqualTo(taskId);
    List<String> ids = ok(alice.get(org(aliceOrg) + "/tasks")).json().findValuesAsText("id");
    assertThat(ids).contains(taskId).doesNotContain(bobTaskId);
    assertThat(
            ok(alice.get(org(aliceOrg) + "/tasks?repoId=" + repoId)).json().findValuesAsText("id"))
        .contains(taskId);
    assertThat(ok(alice.get(org(aliceOrg) + "/tasks?repoId=0000000000000000")).json()).isEmpty();
    error(alice.get(org(aliceOrg) + "/tasks?repo=x"), 400, "unknown_parameter");
  }

  @Test
  void taskCreationRefusesBadInput() {
    error(alice.post(org(aliceOrg) + "/tasks", "{\"task\":\"x\"}"), 400, "missing_field");
    error(
        alice.post(
            org(aliceOrg) + "/tasks",
            "{\"repoId\":\"" + repoId + "\",\"task\":\"x\",\"model\":\"not a model!\"}"),
        422,
        "invalid_model");
    error(
        alice.post(
            org(aliceOrg) + "/tasks",
            "{\"repoId\":\"" + repoId + "\",\"task\":\"x\",\"modle\":\"gpt-5.4\"}"),
        400,
        "unknown_field");
    error(
        alice.post(org(aliceOrg) + "/tasks", taskBody("0000000000000000", "x")),
        404,
        "repository_not_found");
    error(alice.post(org(aliceOrg) + "/tasks", taskBody(repoId, " ")), 422, "invalid_task");
    error(
        alice.post(
            org(aliceOrg) + "/tasks",
            "{\"repoId\":\"" + repoId + "\",\"task\":\"x\",\"branchName\":\"a..b\"}"),
        422,
        "invalid_branch_name");
    error(
        alice.post(org(aliceOrg) + "/tasks", "{\"repoId\":[],\"task\":\"x\"}"),
        400,
        "invalid_field");
    Answer dup =
        alice.post(
            org(aliceOrg) + "/tasks",
            "{\"repoId\":\"" + repoId + "\",\"task\":\"x\",\"branchName\":\"dup\"}");
    created(dup);
    error(
        alice.post(
            org(aliceOrg) + "/tasks",
            "{\"repoId\":\"" + repoId + "\",\"task\":\"y\",\"branchName\":\"dup\"}"),
        409,
        "branch_in_use");
  }

  @Test
  void aTaskOfAnotherOrganizationIsNotFoundNeverLeaked() {
    // Bob's task id under Alice's organization: unknown there.
    error(alice.get(task(bobTaskId)), 404, "task_not_found");
    error(alice.post(task(bobTaskId) + "/archive", null), 404, "task_not_found");
    error(alice.patch(task(bobTaskId), "{\"title\":\"mine\"}"), 404, "task_not_found");
    // Bob's task under Bob's organization: Alice is not a member.
    error(alice.get(org(bobOrg) + "/tasks/" + bobTaskId), 403, "not_a_member");
    error(alice.get(org(bobOrg) + "/audit-log"), 403, "not_a_member");
    // Ids that cannot exist.
    error(alice.get(task("no$such")), 404, "task_not_found");
    error(alice.get(task("x".repeat(200))), 404, "task_not_found");
    // Bob's task is untouched.
    assertThat(ok(bob.get(org(bobOrg) + "/tasks/" + bobTaskId)).json().path("title").asText())
        .doesNotContain("mine");
  }

  @Test
  void aTaskIsRenamedSwitchedAndAttached() {
    String taskId = newTask("rename me");
    assertThat(
            ok(alice.patch(task(taskId), "{\"title\":\"Renamed\"}")).json().path("title").asText())
        .isEqualTo("Renamed");
    assertThat(ok(alice.patch(task(taskId), "{}")).json().path("title").asText())
        .isEqualTo("Renamed");
    error(alice.patch(task(taskId), "{\"title\":\"\"}"), 422, "invalid_title");
    error(alice.patch(task(taskId), "{\"name\":\"x\"}"), 400, "unknown_field");

    JsonNode switched = ok(alice.post(task(taskId) + "/switch", null)).json();
    assertThat(switched.path("taskId").asText()).isEqualTo(taskId);
    assertThat(switched.path("organizationId").asText()).isEqualTo(aliceOrg);
    JsonNode attached = ok(alice.post(task(taskId) + "/attach", "{}")).json();
    assertThat(attached.has("target")).isTrue();
    error(alice.post(task(taskId) + "/attach", "{\"x\":1}"), 400, "unexpected_body");
  }

  @Test
  void lifecycleCommandsAreQueuedAndAnArchivedTaskRefusesThem() {
    String taskId = newTask("lifecycle");
    // Refused at once when the actor can decide at once: this task has no sandbox yet.
    error(alice.post(task(taskId) + "/push", null), 409, "no_active_sandbox");
    accepted(alice.post(task(taskId) + "/archive", null));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> alice.get(task(taskId)).json().path("status").asText().equals("archived"));
    error(alice.post(task(taskId) + "/kill", null), 409, "task_archived");
    error(alice.post(task(taskId) + "/push", null), 409, "task_archived");
    error(alice.patch(task(taskId), "{\"title\":\"late\"}"), 409, "task_archived");
    error(alice.post(task(taskId) + "/sessions", "{}"), 409, "task_archived");

    String killed = newTask("kill me");
    accepted(alice.post(task(killed) + "/kill", null));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> alice.get(task(killed)).json().path("status").asText().equals("killed"));
    error(alice.post(task(killed) + "/archive", null), 409, "task_killed");
  }

  @Test
  void theOwnerChangesToAMemberOnly() {
    String taskId = newTask("owned");
    accepted(alice.put(task(taskId) + "/owner", "{\"userId\":\"" + aliceId + "\"}"));
    error(
        alice.put(task(taskId) + "/owner", "{\"userId\":\"local-stranger\"}"),
        422,
        "invalid_owner");
    error(alice.put(task(taskId) + "/owner", "{}"), 400, "missing_field");
  }

  // --- sessions --------------------------------------------------------------------------------

  @Test
  void sessionsAreCreatedReadUpdatedAndClosed() {
    String taskId = newTask("sessions");
    JsonNode session =
        created(alice.post(task(taskId) + "/sessions", "{\"model\":\"gpt-5.4\"}")).json();
    String sessionId = session.path("sessionId").asText();
    assertThat(session.path("model").asText()).isEqualTo("gpt-5.4");
    String path = task(taskId) + "/sessions/" + sessionId;

    assertThat(ok(alice.get(path)).json().path("sessionId").asText()).isEqualTo(sessionId);
    JsonNode updated =
        ok(alice.patch(
                path,
                "{\"title\":\"Review\",\"model\":\"claude-sonnet-4\",\"unread\":true,"
                    + "\"draft\":{\"text\":\"half a thought\",\"attachments\":[{\"id\":\"a1\","
                    + "\"filePath\":\"src/A.java\",\"lineNumber\":3,\"lineContent\":\"x\"}]}}"))
            .json();
    assertThat(updated.path("sessionName").asText()).isEqualTo("Review");
    assertThat(updated.path("model").asText()).isEqualTo("claude-sonnet-4");
    assertThat(updated.path("unread").asBoolean()).isTrue();
    assertThat(updated.path("draft").path("text").asText()).isEqualTo("half a thought");
    assertThat(updated.path("draft").path("attachments")).hasSize(1);

    // The draft and unread flag are Alice's own: a member of nothing else sees nothing.
    error(bob.get(path), 403, "not_a_member");

    error(alice.patch(path, "{\"unread\":\"yes\"}"), 400, "invalid_field");
    error(alice.patch(path, "{\"draft\":{}}"), 400, "missing_field");
    error(
        alice.patch(
            path,
            "{\"draft\":{\"text\":\"x\",\"attachments\":[{\"filePath\":\"a\",\"lineNumber\":0}]}}"),
        422,
        "invalid_draft");
    error(alice.patch(path, "{\"model\":\"\"}"), 422, "invalid_model");
    error(alice.get(task(taskId) + "/sessions/session-none"), 404, "session_not_found");
    error(alice.get(task(taskId) + "/sessions/bad*id"), 404, "session_not_found");

    accepted(alice.delete(path));
    error(alice.delete(task(taskId) + "/sessions/session-none"), 404, "session_not_found");
  }

  // --- audit log -------------------------------------------------------------------------------

  @Test
  void theAuditLogListsTheOrganizationsEventsNewestFirst() {
    String taskId = newTask("audited");
    ok(alice.post(task(taskId) + "/attach", null));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                alice
                    .get(org(aliceOrg) + "/audit-log?taskId=" + taskId)
                    .json()
                    .findValuesAsText("kind")
                    .contains("task.attach"));
    JsonNode all = ok(alice.get(org(aliceOrg) + "/audit-log?limit=2")).json();
    assertThat(all.size()).isEqualTo(2);
    List<Long> ids = new ArrayList<>();
    all.forEach(e -> ids.add(e.path("id").asLong()));
    assertThat(ids.get(0)).isGreaterThan(ids.get(1));
    JsonNode older =
        ok(alice.get(org(aliceOrg) + "/audit-log?limit=1&before=" + ids.get(1))).json();
    assertThat(older.size()).isLessThanOrEqualTo(1);
    if (older.size() == 1) {
      assertThat(older.get(0).path("id").asLong()).isLessThan(ids.get(1));
    }
    assertThat(ok(bob.get(org(bobOrg) + "/audit-log?taskId=" + taskId)).json()).isEmpty();

    error(alice.get(org(aliceOrg) + "/audit-log?limit=0"), 400, "invalid_parameter");
    error(alice.get(org(aliceOrg) + "/audit-log?limit=501"), 400, "invalid_parameter");
    error(alice.get(org(aliceOrg) + "/audit-log?limit=ten"), 400, "invalid_parameter");
    error(alice.get(org(aliceOrg) + "/audit-log?before=-3"), 400, "invalid_parameter");
    error(alice.get(org(aliceOrg) + "/audit-log?limit=1&limit=2"), 400, "invalid_parameter");
    error(alice.get(org(aliceOrg) + "/audit-log?since=1"), 400, "unknown_parameter");
  }

  // --- routing ---------------------------------------------------------------------------------

  @Test
  void unknownRoutesAndMethodsAnswerInTheErrorShape() {
    error(alice.get("/v1/nothing"), 404, "not_found");
    error(alice.get(org(aliceOrg) + "/tasks/x/nothing"), 404, "not_found");
    error(alice.delete(org(aliceOrg)), 405, "method_not_allowed");
    // A path matches a row only in exactly its form: no trailing or doubled slash.
    error(alice.get(org(aliceOrg) + "/"), 404, "not_found");
    error(alice.get("/v1//organizations"), 404, "not_found");
    error(alice.get("/v1/organizations/" + aliceOrg + "//tasks"), 404, "not_found");
    // A captured segment is decoded: an encoded slash stays inside the id (and no task has it).
    error(alice.get(org(aliceOrg) + "/tasks/a%2Fb"), 404, "task_not_found");
    assertThat(alice.get(org(aliceOrg) + "/tasks").status()).isEqualTo(200);
  }
}
