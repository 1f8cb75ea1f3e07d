package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.http.auth.SessionCookie;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.SessionEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over real sockets: expired sessions leave the server's session index even when their cookie is
 * never presented again, and audit entries name the user who acted.
 */
class SessionPurgeAndAuditTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void expiredSessionsArePurgedWithoutBeingPresentedAgain(@TempDir Path dir) throws Exception {
    Duration ttl = Duration.ofSeconds(2);
    try (ApiServer server = ApiServer.start(dir, Map.of("FOUNDRY_SESSION_TTL", "2s"))) {
      Browser gone = server.browser();
      assertThat(gone.signIn("gone").status()).isEqualTo(200);
      String sessionId =
          new SessionCookie(FoundrySettings.DEV_AUTH_SECRET, false, ttl).sessionIdOf(gone.cookie());
      assertThat(session(server, sessionId)).isNotNull();

      // The browser that holds the expired cookie never comes back; later sign-ins purge it.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                server.browser().signIn("other");
                return session(server, sessionId) == null;
              });
    }
  }

  @Test
  void auditEntriesNameTheUserWhoActed(@TempDir Path dir) throws Exception {
    try (ApiServer server = ApiServer.start(dir)) {
      Browser ada = server.browser();
      JsonNode signIn = ada.signIn("ada").json();
      String userId = signIn.path("user").path("id").asText();
      assertThat(userId).isNotBlank();
      String org = "/v1/organizations/" + signIn.path("activeOrganizationId").asText();
      String remote = server.bareRepository("audited");
      String repoId =
          ada.post(org + "/repos", "{\"remoteUrl\":\"" + remote + "\"}")
              .json()
              .path("repoId")
              .asText();
      Answer task =
          ada.post(org + "/tasks", "{\"repoId\":\"" + repoId + "\",\"task\":\"audit me\"}");
      assertThat(task.status()).as(task.toString()).isEqualTo(201);
      String taskPath = org + "/tasks/" + task.json().path("id").asText();
      assertThat(ada.post(taskPath + "/attach", null).status()).isEqualTo(200);
      assertThat(ada.post(taskPath + "/archive", null).status()).isEqualTo(202);

      Map<String, JsonNode> byKind = new HashMap<>();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                byKind.clear();
                for (JsonNode entry : ada.get(org + "/audit-log").json()) {
                  byKind.put(
                      entry.path("kind").asText(),
                      JSON.readTree(entry.path("payloadJson").asText()));
                }
                assertThat(byKind).containsKeys("task.created", "task.attach", "task.archive");
              });
      assertThat(byKind.get("task.created").path("userId").asText()).isEqualTo(userId);
      assertThat(byKind.get("task.attach").path("userId").asText()).isEqualTo(userId);
      assertThat(byKind.get("task.archive").path("userId").asText()).isEqualTo(userId);
      // The existing fields keep their names and values.
      assertThat(byKind.get("task.archive").path("reason").asText()).isEqualTo("api.archive");
      assertThat(byKind.get("task.created").path("repoId").asText()).isEqualTo(repoId);
    }
  }

  private static SessionEntry session(ApiServer server, String sessionId) throws Exception {
    return server
        .app()
        .runtime()
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP))
        .query(new OrganizationProtocol.FindSession(sessionId))
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }
}
