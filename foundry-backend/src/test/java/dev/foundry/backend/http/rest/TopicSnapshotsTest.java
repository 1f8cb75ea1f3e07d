package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.auth.SignedInUser;
import dev.foundry.backend.http.realtime.TopicAccess;
import dev.foundry.shared.app.FoundryAppSnapshot;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Cookie;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the realtime endpoint gets from {@link TopicAccess}: snapshots the user may see, else 404.
 */
class TopicSnapshotsTest {
  @TempDir static Path dir;
  private static ApiServer server;
  private static TopicAccess topics;
  private static SignedInUser alice;
  private static SignedInUser bob;
  private static String aliceOrg;
  private static String bobOrg;
  private static String taskId;
  private static String sessionId;
  private static String bobTaskId;

  @BeforeAll
  static void start() throws Exception {
    server = ApiServer.start(dir);
    topics = server.app().topicAccess();
    Browser a = server.browser();
    aliceOrg = a.signIn("topic-alice").json().path("activeOrganizationId").asText();
    alice = authenticate(a.cookie());
    Browser b = server.browser();
    bobOrg = b.signIn("topic-bob").json().path("activeOrganizationId").asText();
    bob = authenticate(b.cookie());

    String repo =
        a.post(
                "/v1/organizations/" + aliceOrg + "/repos",
                "{\"remoteUrl\":\"" + server.bareRepository("topics") + "\"}")
            .json()
            .path("repoId")
            .asText();
    var task =
        a.post(
                "/v1/organizations/" + aliceOrg + "/tasks",
                "{\"repoId\":\"" + repo + "\",\"task\":\"watch me\"}")
            .json();
    taskId = task.path("id").asText();
    sessionId =
        a.post("/v1/organizations/" + aliceOrg + "/tasks/" + taskId + "/sessions", "{}")
            .json()
            .path("sessionId")
            .asText();
    String bobRepo =
        b.post(
                "/v1/organizations/" + bobOrg + "/repos",
                "{\"remoteUrl\":\"" + server.bareRepository("bob-topics") + "\"}")
            .json()
            .path("repoId")
            .asText();
    bobTaskId =
        b.post(
                "/v1/organizations/" + bobOrg + "/tasks",
                "{\"repoId\":\"" + bobRepo + "\",\"task\":\"private\"}")
            .json()
            .path("id")
            .asText();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** The Authenticator the WebSocket upgrade uses, fed the browser's cookie. */
  private static SignedInUser authenticate(String cookie) throws Exception {
    HttpRequest request =
        HttpRequest.create("/v1/realtime").addHeader(Cookie.create("foundry_session", cookie));
    return server
        .app()
        .authenticator()
        .authenticate(request)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS)
        .orElseThrow();
  }

  private static Object snapshot(SignedInUser user, String topic, String id) {
    return topics
        .snapshot(user, topic, id)
        .toCompletableFuture()
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
  }

  private static int refusal(SignedInUser user, String topic, String id) {
    try {
      snapshot(user, topic, id);
      return 200;
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      assertThat(cause).isInstanceOf(ApiException.class);
      return ((ApiException) cause).error().status().intValue();
    }
  }

  @Test
  void theAuthenticatorKnowsOnlyLiveCookies() throws Exception {
    HttpRequest none = HttpRequest.create("/v1/realtime");
    assertThat(server.app().authenticator().authenticate(none).toCompletableFuture().get())
        .isEmpty();
    assertThat(alice.userId()).isEqualTo("local-topic-alice");
  }

  @Test
  void eachTopicAnswersItsSnapshot() {
    FoundryAppSnapshot app = (FoundryAppSnapshot) snapshot(alice, "app", "app");
    assertThat(app.auth().currentUserId()).isEqualTo(alice.userId());
    assertThat(app.activeOrganizationId()).isEqualTo(aliceOrg);
    OrganizationSummarySnapshot org =
        (OrganizationSummarySnapshot) snapshot(alice, "organization", aliceOrg);
    assertThat(org.organizationId()).isEqualTo(aliceOrg);
    WorkspaceTaskDetail task =
        (WorkspaceTaskDetail) snapshot(alice, "task", aliceOrg + "/" + taskId);
    assertThat(task.id()).isEqualTo(taskId);
    WorkspaceSessionDetail session =
        (WorkspaceSessionDetail)
            snapshot(alice, "session", aliceOrg + "/" + taskId + "/" + sessionId);
    assertThat(session.sessionId()).isEqualTo(sessionId);
    assertThat(snapshot(alice, "sandboxProcesses", aliceOrg + "/" + taskId))
        .isEqualTo(new dev.foundry.shared.sandbox.SandboxProcesses(java.util.List.of()));
  }

  @Test
  void whatTheUserMayNotSeeIsA404AndAnUnknownTopicA400() {
    assertThat(refusal(bob, "organization", aliceOrg)).isEqualTo(404);
    assertThat(refusal(bob, "task", aliceOrg + "/" + taskId)).isEqualTo(404);
    assertThat(refusal(bob, "session", aliceOrg + "/" + taskId + "/" + sessionId)).isEqualTo(404);
    assertThat(refusal(bob, "sandboxProcesses", aliceOrg + "/" + taskId)).isEqualTo(404);
    // Bob's task id inside Alice's organization does not exist there.
    assertThat(refusal(alice, "task", aliceOrg + "/" + bobTaskId)).isEqualTo(404);
    assertThat(refusal(alice, "organization", "no-such-org")).isEqualTo(404);
    assertThat(refusal(alice, "organization", "app")).isEqualTo(404);
    assertThat(refusal(alice, "task", aliceOrg)).isEqualTo(404);
    assertThat(refusal(alice, "task", aliceOrg + "/" + taskId + "/extra")).isEqualTo(404);
    assertThat(refusal(alice, "session", aliceOrg + "/" + taskId + "/session-none")).isEqualTo(404);
    assertThat(refusal(alice, "weather", "x")).isEqualTo(400);
    assertThat(refusal(alice, null, "x")).isEqualTo(400);
  }
}
