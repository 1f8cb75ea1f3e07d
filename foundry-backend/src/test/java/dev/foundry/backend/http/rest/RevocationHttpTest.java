package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.shared.app.FoundryOrganizationMember;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions, memberships and the task index are answered from memory at the edge (the organization
 * views), yet a revocation takes effect for the very next request after the command's answer: each
 * case first makes the request succeed (so the view holds the session and the organization), then
 * revokes, then checks the next request at once, over real sockets. Each repeats a few times, so a
 * view that kept a stale value would show.
 */
class RevocationHttpTest {
  private static final int ROUNDS = 10;

  @Test
  void signOutRevokesTheSessionForTheNextRequest(@TempDir Path dir) {
    try (ApiServer server = ApiServer.start(dir)) {
      for (int i = 0; i < ROUNDS; i++) {
        Browser browser = server.browser();
        JsonNode signIn = browser.signIn("ada").json();
        String org = "/v1/organizations/" + signIn.path("activeOrganizationId").asText();
        String copy = browser.cookie();
        Browser other = server.browser().withCookie(copy);
        assertThat(other.get(org).status()).isEqualTo(200);
        assertThat(other.get("/v1/auth/session").status()).isEqualTo(200);

        assertThat(browser.post("/v1/auth/sign-out", null).status()).isEqualTo(204);

        Answer after = other.get(org);
        assertThat(after.status()).as(after.toString()).isEqualTo(401);
        assertThat(other.get("/v1/auth/session").status()).isEqualTo(401);
      }
    }
  }

  @Test
  void anExpiredSessionIsRefusedAlthoughItWasServedFromMemory(@TempDir Path dir) {
    try (ApiServer server = ApiServer.start(dir, Map.of("FOUNDRY_SESSION_TTL", "2s"))) {
      Browser browser = server.browser();
      JsonNode signIn = browser.signIn("eve").json();
      String org = "/v1/organizations/" + signIn.path("activeOrganizationId").asText();
      assertThat(browser.get(org).status()).isEqualTo(200);
      // Requests keep the session in the view; its age is checked on each one all the same.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> browser.get(org).status() == 401);
      assertThat(browser.get("/v1/auth/session").status()).isEqualTo(401);
    }
  }

  @Test
  void aRemovedMemberIsRefusedOnTheNextRequest(@TempDir Path dir) throws Exception {
    try (ApiServer server = ApiServer.start(dir)) {
      Browser ada = server.browser();
      String orgId = ada.signIn("ada").json().path("activeOrganizationId").asText();
      String org = "/v1/organizations/" + orgId;
      String repoId =
          ada.post(org + "/repos", "{\"remoteUrl\":\"" + server.bareRepository("shared") + "\"}")
              .json()
              .path("repoId")
              .asText();
      Answer created =
          ada.post(org + "/tasks", "{\"repoId\":\"" + repoId + "\",\"task\":\"shared work\"}");
      assertThat(created.status()).as(created.toString()).isEqualTo(201);
      String task = org + "/tasks/" + created.json().path("id").asText();
      Browser bob = server.browser();
      assertThat(bob.signIn("bob").status()).isEqualTo(200);
      DurableRef<OrganizationProtocol.Command<?>> organization =
          server.app().runtime().get(OrganizationProtocol.TYPE, OrganizationProtocol.key(orgId));
      for (int i = 0; i < ROUNDS; i++) {
        done(
            organization.ask(
                new OrganizationProtocol.UpsertMember(
                    new FoundryOrganizationMember(
                        "local-bob", "bob", "bob@example.com", "member", "active"))));
        assertThat(bob.get(org).status()).isEqualTo(200);
        assertThat(bob.get(task).status()).isEqualTo(200);

        done(organization.ask(new OrganizationProtocol.RemoveMember("local-bob")));

        Answer after = bob.get(task);
        assertThat(after.status()).as(after.toString()).isEqualTo(403);
        assertThat(after.errorCode()).isEqualTo("not_a_member");
        assertThat(bob.get(org).status()).isEqualTo(403);
        assertThat(bob.patch(task, "{\"title\":\"taken over\"}").status()).isEqualTo(403);
        assertThat(ada.get(task).status()).isEqualTo(200);
      }
    }
  }

  @Test
  void aMemberMadeInvitedAgainIsRefusedOnTheNextRequest(@TempDir Path dir) throws Exception {
    try (ApiServer server = ApiServer.start(dir)) {
      Browser ada = server.browser();
      String orgId = ada.signIn("ada").json().path("activeOrganizationId").asText();
      String org = "/v1/organizations/" + orgId;
      Browser bob = server.browser();
      assertThat(bob.signIn("bob").status()).isEqualTo(200);
      DurableRef<OrganizationProtocol.Command<?>> organization =
          server.app().runtime().get(OrganizationProtocol.TYPE, OrganizationProtocol.key(orgId));
      done(
          organization.ask(
              new OrganizationProtocol.UpsertMember(
                  new FoundryOrganizationMember(
                      "local-bob", "bob", "bob@example.com", "member", "active"))));
      assertThat(bob.get(org).status()).isEqualTo(200);

      done(
          organization.ask(
              new OrganizationProtocol.UpsertMember(
                  new FoundryOrganizationMember(
                      "local-bob", "bob", "bob@example.com", "member", "invited"))));

      assertThat(bob.get(org).status()).isEqualTo(403);
    }
  }

  @Test
  void aTaskOfAnotherOrganizationStaysNotFoundOnceItsIndexIsInMemory(@TempDir Path dir)
      throws Exception {
    try (ApiServer server = ApiServer.start(dir)) {
      Browser ada = server.browser();
      String org =
          "/v1/organizations/" + ada.signIn("ada").json().path("activeOrganizationId").asText();
      String repoId =
          ada.post(org + "/repos", "{\"remoteUrl\":\"" + server.bareRepository("mine") + "\"}")
              .json()
              .path("repoId")
              .asText();
      String taskId =
          ada.post(org + "/tasks", "{\"repoId\":\"" + repoId + "\",\"task\":\"mine\"}")
              .json()
              .path("id")
              .asText();
      assertThat(ada.get(org + "/tasks/" + taskId).status()).isEqualTo(200);

      Browser bob = server.browser();
      String bobOrg =
          "/v1/organizations/" + bob.signIn("bob").json().path("activeOrganizationId").asText();
      Answer foreign = bob.get(bobOrg + "/tasks/" + taskId);
      assertThat(foreign.status()).isEqualTo(404);
      assertThat(foreign.errorCode()).isEqualTo("task_not_found");
      assertThat(bob.get(org + "/tasks/" + taskId).status()).isEqualTo(403);
    }
  }

  private static <T> T done(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
