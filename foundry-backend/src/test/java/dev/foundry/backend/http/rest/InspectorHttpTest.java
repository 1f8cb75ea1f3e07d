package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import dev.foundry.backend.testing.Git;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's inspector over real HTTP: absent without {@code FOUNDRY_ADMIN_TOKEN}, closed to a
 * wrong token, and with the right one it lists the actors, shows a real failed command (a sandbox
 * process that cannot start) with its reason, retries it (it fails again, under the retry's id) and
 * discards it, each recorded in the organization's audit log.
 */
class InspectorHttpTest {
  private static final String TOKEN = "an-operator-token";

  @TempDir Path dir;

  @Test
  void withoutATokenThereAreNoAdminRoutes() {
    try (ApiServer server = ApiServer.start(dir)) {
      Browser anyone = server.browser();
      assertThat(anyone.get("/v1/admin/actors").status()).isEqualTo(404);
      assertThat(
              anyone
                  .send("GET", "/v1/admin/actors", null, null, "Authorization", "Bearer x")
                  .status())
          .isEqualTo(404);
      assertThat(anyone.get("/admin").status()).isEqualTo(404);
      assertThat(anyone.get("/v1/openapi.json").text()).doesNotContain("/v1/admin/");
      // The console itself is there, with its strict policy.
      Browser.Answer page = anyone.get("/");
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.raw().headers().firstValue("content-security-policy"))
          .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'self'"));
      assertThat(anyone.get("/console/app.js").status()).isEqualTo(200);
      assertThat(anyone.get("/console/../application.conf").status()).isEqualTo(404);
    }
  }

  @Test
  void aFailedCommandIsShownWithItsReasonThenRetriedAndDiscarded() throws Exception {
    Path bare = Git.seedRemote(dir);
    try (ApiServer server =
        ApiServer.start(
            dir,
            Map.of(
                "SANDBOX_AGENT_BIN",
                SandboxAgentBin.path().toString(),
                "FOUNDRY_SANDBOX_SHARED_PATHS",
                bare.toString(),
                "FOUNDRY_ADMIN_TOKEN",
                TOKEN))) {
      Browser alice = server.browser();
      String org = alice.signIn("alice").json().path("activeOrganizationId").asText();
      String orgPath = "/v1/organizations/" + org;
      String repoId =
          alice
              .post(orgPath + "/repos", "{\"remoteUrl\":\"" + bare.toUri() + "\"}")
              .json()
              .path("repoId")
              .asText();
      String taskId =
          alice
              .post(orgPath + "/tasks", "{\"repoId\":\"" + repoId + "\",\"task\":\"hello\"}")
              .json()
              .path("id")
              .asText();
      String task = orgPath + "/tasks/" + taskId;
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> alice.get(task).json().path("status").asText(), "idle"::equals);

      // The sandbox cannot spawn a process in a directory that does not exist: a failed command.
      Browser.Answer start =
          alice.post(
              task + "/sandbox/processes",
              "{\"command\":\"true\",\"cwd\":\"/nonexistent-inspector-dir\"}");
      assertThat(start.status()).as("%s", start).isGreaterThanOrEqualTo(400);

      Browser operator = server.browser();
      assertThat(admin(operator, "GET", "/v1/admin/actors", "wrong").status()).isEqualTo(401);
      assertThat(operator.get("/v1/admin/actors").status()).isEqualTo(401);

      JsonNode kinds = ok(admin(operator, "GET", "/v1/admin/actors", TOKEN));
      assertThat(kinds.findValuesAsText("kind")).contains("sandbox", "task", "organization");
      JsonNode sandboxes = ok(admin(operator, "GET", "/v1/admin/actors/sandbox", TOKEN));
      assertThat(sandboxes).hasSize(1);
      String key = sandboxes.get(0).path("key").asText();
      assertThat(key).contains(taskId);
      String query = "?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8);

      JsonNode inspection =
          ok(admin(operator, "GET", "/v1/admin/actors/sandbox/inspection" + query, TOKEN));
      assertThat(inspection.path("created").asBoolean()).isTrue();
      assertThat(inspection.path("tables").findValuesAsText("name")).contains("processes");
      JsonNode failed = inspection.path("failedCommands");
      assertThat(failed).hasSize(1);
      assertThat(failed.get(0).path("commandType").asText()).isEqualTo("sandbox.start-process");
      assertThat(failed.get(0).path("errorMessage").asText())
          .contains("/nonexistent-inspector-dir");
      String commandId = failed.get(0).path("commandId").asText();

      // The actor's newest journal events, newest first, the failed command's among them.
      JsonNode journal =
          ok(
              admin(
                  operator, "GET", "/v1/admin/actors/sandbox/journal" + query + "&limit=5", TOKEN));
      assertThat(journal).hasSizeBetween(1, 5);
      assertThat(journal.get(0).path("sequenceNumber").asLong())
          .isEqualTo(inspection.path("seqNr").asLong());
      assertThat(journal.findValuesAsText("payload")).anyMatch(p -> p.contains(commandId));
      assertThat(
              admin(operator, "GET", "/v1/admin/actors/sandbox/journal" + query + "&limit=0", TOKEN)
                  .status())
          .isEqualTo(400);

      // A retry sends the same command under a new id; here it fails again, and says so.
      JsonNode retried =
          ok(
              admin(
                  operator,
                  "POST",
                  "/v1/admin/actors/sandbox/failed-commands/" + commandId + "/retry" + query,
                  TOKEN));
      String retryId = retried.path("retryId").asText();
      assertThat(retryId).startsWith("retry-");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  ok(admin(operator, "GET", "/v1/admin/actors/sandbox/inspection" + query, TOKEN))
                      .path("failedCommands")
                      .findValuesAsText("commandId"),
              ids -> ids.equals(java.util.List.of(retryId)));

      assertThat(
              ok(admin(
                      operator,
                      "POST",
                      "/v1/admin/actors/sandbox/failed-commands/" + retryId + "/discard" + query,
                      TOKEN))
                  .path("action")
                  .asText())
          .isEqualTo("discarded");
      assertThat(
              ok(admin(operator, "GET", "/v1/admin/actors/sandbox/inspection" + query, TOKEN))
                  .path("failedCommands"))
          .isEmpty();
      // Nothing left to discard, and an unknown actor: clear 404s.
      assertThat(
              admin(
                      operator,
                      "POST",
                      "/v1/admin/actors/sandbox/failed-commands/" + retryId + "/discard" + query,
                      TOKEN)
                  .errorCode())
          .isEqualTo("failed_command_not_found");
      assertThat(
              admin(operator, "GET", "/v1/admin/actors/sandbox/inspection?key=org/nope", TOKEN)
                  .errorCode())
          .isEqualTo("actor_not_found");
      assertThat(admin(operator, "GET", "/v1/admin/actors/sandbox/inspection", TOKEN).status())
          .isEqualTo(400);

      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> alice.get(orgPath + "/audit-log").json().findValuesAsText("kind"),
              kinds2 ->
                  kinds2.contains("admin.failed_command_retried")
                      && kinds2.contains("admin.failed_command_discarded"));
      assertThat(operator.get("/admin").status()).isEqualTo(200);
      // With a token the routes are in the OpenAPI document, with their answer's schema.
      JsonNode openApi = ok(operator.get("/v1/openapi.json"));
      assertThat(openApi.path("paths").has("/v1/admin/actors/{kind}/inspection")).isTrue();
      assertThat(
              openApi
                  .path("paths")
                  .has("/v1/admin/actors/{kind}/failed-commands/{commandId}/retry"))
          .isTrue();
    }
  }

  private static Browser.Answer admin(Browser b, String method, String path, String token) {
    return b.send(method, path, null, null, "Authorization", "Bearer " + token);
  }

  private static JsonNode ok(Browser.Answer answer) {
    assertThat(answer.status()).as("%s", answer).isEqualTo(200);
    return answer.json();
  }
}
