package dev.foundry.backend.http.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.runtime.RealtimeHub;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The realtime socket over real sockets, against the real backend ({@link ApiServer}: {@code
 * FoundryApp} with its cookie sessions and topic snapshots). Users sign in through the dev sign-in
 * and change things through the REST API; only the ordering and slow-client cases publish straight
 * on the app's own hub, to control when a change happens.
 */
class RealtimeEndpointTest {
  private static final String APP_URL = "http://app.foundry.test:4173";
  private static final int BUFFER_SIZE = 16;
  private static final int MAX_SUBSCRIPTIONS = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static ApiServer server;
  private static RealtimeHub hub;
  private static String base;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startServer() {
    server =
        ApiServer.start(
            dir,
            Map.of(
                "APP_URL",
                APP_URL,
                // APP_URL is not loopback, so dev sign-in (how these users sign in) must be asked
                // for.
                "FOUNDRY_DEV_AUTH",
                "true",
                "FOUNDRY_REALTIME_BUFFER_SIZE",
                String.valueOf(BUFFER_SIZE),
                "FOUNDRY_REALTIME_MAX_SUBSCRIPTIONS",
                String.valueOf(MAX_SUBSCRIPTIONS)));
    hub = server.app().runtime().hub();
    base = "127.0.0.1:" + server.app().port();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A signed-in browser of a new local user, and the personal organization it has active. */
  private record User(Browser browser, String id, String organization) {
    String cookie() {
      return browser.cookie();
    }
  }

  private static User signIn(String login) {
    Browser browser = server.browser();
    Browser.Answer answer = browser.signIn(login);
    assertThat(answer.status()).as("sign-in: %s", answer).isEqualTo(200);
    return new User(
        browser,
        answer.json().path("user").path("id").asText(),
        answer.json().path("activeOrganizationId").asText());
  }

  /** Adds a repository (a bare one on disk) to the user's organization; answers its id. */
  private static String addRepository(User user, String name) throws Exception {
    Browser.Answer answer =
        user.browser()
            .post(
                "/v1/organizations/" + user.organization() + "/repos",
                "{\"remoteUrl\":\"" + server.bareRepository(name) + "\"}");
    assertThat(answer.status()).as("add repository: %s", answer).isIn(200, 201);
    return answer.json().path("repoId").asText();
  }

  /** Creates a task in the user's organization; answers its id. */
  private static String createTask(User user, String repository) throws Exception {
    String repoId = addRepository(user, repository);
    Browser.Answer answer =
        user.browser()
            .post(
                "/v1/organizations/" + user.organization() + "/tasks",
                "{\"repoId\":\"" + repoId + "\",\"task\":\"watch me\"}");
    assertThat(answer.status()).as("create task: %s", answer).isIn(200, 201);
    return answer.json().path("id").asText();
  }

  // -- before the upgrade ----------------------------------------------------------------------

  @Test
  void upgradeWithoutASessionIsRefusedWith401() {
    assertThatThrownBy(() -> connect(null, null))
        .satisfies(e -> assertThat(handshakeStatus(e)).isEqualTo(401));
    assertThatThrownBy(() -> connect("not-a-session-token-of-this-server-at-all-x", null))
        .satisfies(e -> assertThat(handshakeStatus(e)).isEqualTo(401));
  }

  @Test
  void upgradeFromAnotherOriginIsRefusedWith403() {
    User mallory = signIn("rt-mallory");
    assertThatThrownBy(() -> connect(mallory.cookie(), "http://evil.example"))
        .satisfies(e -> assertThat(handshakeStatus(e)).isEqualTo(403));
  }

  @Test
  void upgradeFromTheAppOriginOrWithoutOriginIsAccepted() throws Exception {
    User ann = signIn("rt-origin");
    try (Client fromApp = connect(ann.cookie(), APP_URL);
        Client noOrigin = connect(ann.cookie(), null)) {
      fromApp.send("{\"type\":\"ping\"}");
      noOrigin.send("{\"type\":\"ping\"}");
      assertThat(fromApp.next().get("type").asText()).isEqualTo("pong");
      assertThat(noOrigin.next().get("type").asText()).isEqualTo("pong");
    }
  }

  @Test
  void upgradeFromAPageThisServerServedIsAcceptedButNotFromAnotherPortOrScheme() throws Exception {
    User ann = signIn("rt-own-origin");
    // The console at "/" is same-origin: its Origin names the request's own Host.
    try (Client fromConsole = connect(ann.cookie(), "http://" + base)) {
      fromConsole.send("{\"type\":\"ping\"}");
      assertThat(fromConsole.next().get("type").asText()).isEqualTo("pong");
    }
    String host = base.substring(0, base.lastIndexOf(':'));
    int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
    for (String other :
        List.of("http://" + host + ":" + (port + 1), "ftp://" + base, "http://" + host)) {
      assertThatThrownBy(() -> connect(ann.cookie(), other))
          .as(other)
          .satisfies(e -> assertThat(handshakeStatus(e)).isEqualTo(403));
    }
  }

  // -- subscriptions ---------------------------------------------------------------------------

  @Test
  void subscriberGetsTheSnapshotThenEveryChangeOfTheRealActor() throws Exception {
    User user = signIn("rt-sub");
    try (Client client = connect(user.cookie(), APP_URL)) {
      client.send(subscribe("organization", user.organization()));
      JsonNode snapshot = client.next();
      assertThat(snapshot.get("type").asText()).isEqualTo("snapshot");
      assertThat(snapshot.get("topic").asText()).isEqualTo("organization");
      assertThat(snapshot.get("id").asText()).isEqualTo(user.organization());
      assertThat(snapshot.get("payload").toString()).doesNotContain("widgets");

      addRepository(user, "widgets");

      JsonNode event = client.next();
      assertThat(event.get("type").asText()).isEqualTo("event");
      assertThat(event.get("topic").asText()).isEqualTo("organization");
      assertThat(event.get("id").asText()).isEqualTo(user.organization());
      assertThat(event.get("event").asText()).isEqualTo("organizationUpdated");
      assertThat(event.get("payload").toString()).contains("widgets");
    }
  }

  @Test
  void afterUnsubscribeNoMoreEventsArrive() throws Exception {
    User user = signIn("rt-unsub");
    String org = user.organization();
    try (Client client = connect(user.cookie(), APP_URL)) {
      client.send(subscribe("organization", org));
      assertThat(client.next().get("type").asText()).isEqualTo("snapshot");
      client.send("{\"type\":\"unsubscribe\",\"topic\":\"organization\",\"id\":\"" + org + "\"}");
      client.send("{\"type\":\"ping\"}");
      assertThat(client.next().get("type").asText()).isEqualTo("pong");
      assertThat(hub.hasSubscribers("organization", org)).isFalse();

      // The actor publishes before it answers: an event would be queued before this pong.
      addRepository(user, "gadgets");
      client.send("{\"type\":\"ping\"}");
      assertThat(client.next().get("type").asText()).isEqualTo("pong");
    }
  }

  @Test
  void topicTheUserMayNotSeeIsAnErrorFrameAndNothingIsSubscribed() throws Exception {
    User owner = signIn("rt-owner");
    User stranger = signIn("rt-stranger");
    String org = owner.organization();
    try (Client client = connect(stranger.cookie(), APP_URL)) {
      client.send(subscribe("organization", org));
      JsonNode error = client.next();
      assertThat(error.get("type").asText()).isEqualTo("error");
      assertThat(error.get("code").asText()).isEqualTo("organization_not_found");
      assertThat(error.get("topic").asText()).isEqualTo("organization");
      assertThat(error.get("id").asText()).isEqualTo(org);
      assertThat(hub.hasSubscribers("organization", org)).isFalse();

      // The same answer as for an organization that does not exist: the socket cannot probe ids.
      client.send(subscribe("organization", "no-such-organization"));
      assertThat(client.next().get("code").asText()).isEqualTo("organization_not_found");

      client.send("{\"type\":\"ping\"}");
      assertThat(client.next().get("type").asText()).isEqualTo("pong");
    }
  }

  @Test
  void badFramesAreErrorFramesAndTheConnectionStaysOpen() throws Exception {
    User user = signIn("rt-bad");
    try (Client client = connect(user.cookie(), APP_URL)) {
      client.send("this is not json");
      assertThat(client.next().get("code").asText()).isEqualTo("malformed_frame");
      client.send("{\"type\":\"dance\"}");
      assertThat(client.next().get("code").asText()).isEqualTo("unknown_frame_type");
      client.send("{\"type\":\"subscribe\",\"topic\":\"weather\",\"id\":\"x\"}");
      assertThat(client.next().get("code").asText()).isEqualTo("unknown_topic");
      client.send("{\"type\":\"subscribe\",\"topic\":\"task\"}");
      assertThat(client.next().get("code").asText()).isEqualTo("malformed_frame");
      client.send("[1,2,3]");
      assertThat(client.next().get("code").asText()).isEqualTo("malformed_frame");

      client.send("{\"type\":\"ping\"}");
      assertThat(client.next().get("type").asText()).isEqualTo("pong");
    }
  }

  @Test
  void subscriptionsPerConnectionAreLimited() throws Exception {
    User user = signIn("rt-many");
    String org = user.organization();
    String task = org + "/" + createTask(user, "many");
    try (Client client = connect(user.cookie(), APP_URL)) {
      // The new task's summary may reach the organization after its snapshot: its event can come
      // before the next answer, and is skipped.
      for (String frame :
          new String[] {
            subscribe("app", "app"), subscribe("organization", org), subscribe("task", task)
          }) {
        client.send(frame);
        assertThat(client.nextAnswer().get("type").asText()).isEqualTo("snapshot");
      }
      client.send(subscribe("sandboxProcesses", task));
      JsonNode error = client.nextAnswer();
      assertThat(error.get("code").asText()).isEqualTo("too_many_subscriptions");
      assertThat(hub.hasSubscribers("sandboxProcesses", task)).isFalse();

      client.send(subscribe("organization", org));
      assertThat(client.nextAnswer().get("code").asText()).isEqualTo("already_subscribed");
    }
  }

  /**
   * The changes are published the moment the subscription reaches the hub, while its snapshot is
   * still being read from the actors (usually: the test cannot hold the real snapshot back). Held
   * back or not, they must follow the snapshot, all of them, in publish order.
   */
  @Test
  void changesPublishedWhileTheSnapshotIsReadFollowItInOrder() throws Exception {
    User user = signIn("rt-order");
    String id = user.organization() + "/" + createTask(user, "order");
    try (Client client = connect(user.cookie(), APP_URL)) {
      client.send(subscribe("sandboxProcesses", id));
      await()
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(1))
          .atMost(Duration.ofSeconds(10))
          .until(() -> hub.hasSubscribers("sandboxProcesses", id));
      for (int n = 1; n <= 3; n++) {
        hub.publish(new Publication("sandboxProcesses", id, "processesUpdated", Map.of("n", n)));
      }

      assertThat(client.next().get("type").asText()).isEqualTo("snapshot");
      for (int n = 1; n <= 3; n++) {
        JsonNode event = client.next();
        assertThat(event.get("type").asText()).isEqualTo("event");
        assertThat(event.get("payload").get("n").asInt()).isEqualTo(n);
      }
    }
  }

  /**
   * A payload whose serialization waits for the test: while the socket's stream renders it, the
   * events published meanwhile wait together, so the next frame deterministically carries them.
   */
  record Gate(CountDownLatch rendering, CountDownLatch open) {
    @JsonProperty("gated")
    boolean gated() throws InterruptedException {
      rendering.countDown();
      return open.await(10, TimeUnit.SECONDS);
    }

    @JsonIgnore
    @Override
    public CountDownLatch rendering() {
      return rendering;
    }

    @JsonIgnore
    @Override
    public CountDownLatch open() {
      return open;
    }

    /** Publishes the gate, and returns once the socket's stream is rendering it. */
    static Gate publishedOn(String topic, String id) throws InterruptedException {
      Gate gate = new Gate(new CountDownLatch(1), new CountDownLatch(1));
      hub.publish(new Publication(topic, id, "processesUpdated", gate));
      assertThat(gate.rendering.await(10, TimeUnit.SECONDS)).as("the gate is rendered").isTrue();
      return gate;
    }
  }

  /**
   * Publishes a {@link Gate} on {@code id}'s sandboxProcesses topic, then events {@code n} 1 to 10
   * while the socket's stream renders the gate, so that all ten wait for the socket together.
   */
  private static void publishTenWhileTheGateIsRendered(String id) throws InterruptedException {
    Gate gate = Gate.publishedOn("sandboxProcesses", id);
    for (int n = 1; n <= 10; n++) {
      hub.publish(new Publication("sandboxProcesses", id, "processesUpdated", Map.of("n", n)));
    }
    gate.open().countDown();
  }

  /** A socket of a new user, subscribed to the processes of a new task, its snapshot read. */
  private Watching watchingProcesses(String user, String query) throws Exception {
    User u = signIn(user);
    String id = u.organization() + "/" + createTask(u, user);
    Client client = connect(base, u.cookie(), APP_URL, query);
    client.send(subscribe("sandboxProcesses", id));
    assertThat(client.next().get("type").asText()).isEqualTo("snapshot");
    return new Watching(client, id);
  }

  private record Watching(Client client, String id) implements AutoCloseable {
    @Override
    public void close() {
      client.close();
    }
  }

  @Test
  void aBatchedSocketGetsTheEventsThatWaitedTogetherInOneEventsFrame() throws Exception {
    try (Watching w = watchingProcesses("rt-batch", "?batch=true")) {
      Client client = w.client();
      String id = w.id();

      publishTenWhileTheGateIsRendered(id);

      JsonNode first = client.next();
      assertThat(first.get("type").asText()).isEqualTo("event");
      assertThat(first.get("payload").get("gated").asBoolean()).isTrue();
      JsonNode batch = client.next();
      assertThat(batch.get("type").asText()).as("%s", batch).isEqualTo("events");
      assertThat(batch.get("events")).hasSize(10);
      for (int n = 1; n <= 10; n++) {
        JsonNode event = batch.get("events").get(n - 1);
        assertThat(event.get("type").asText()).isEqualTo("event");
        assertThat(event.get("topic").asText()).isEqualTo("sandboxProcesses");
        assertThat(event.get("id").asText()).isEqualTo(id);
        assertThat(event.get("event").asText()).isEqualTo("processesUpdated");
        assertThat(event.get("payload").get("n").asInt()).isEqualTo(n);
      }
      // Other frames are never packed, and an event on an idle socket goes alone.
      client.send("{\"type\":\"ping\"}");
      assertThat(client.next().get("type").asText()).isEqualTo("pong");
      hub.publish(new Publication("sandboxProcesses", id, "processesUpdated", Map.of("n", 11)));
      assertThat(client.next().get("type").asText()).isEqualTo("event");
    }
  }

  @Test
  void thePublicationsOfOneActorTurnReachABatchedSocketInOneFrame() throws Exception {
    try (Watching w = watchingProcesses("rt-turn", "?batch=true")) {
      Client client = w.client();
      String id = w.id();

      // On an idle socket: published together (as the organization publishes a batch's task
      // summaries), they are queued together and leave as one frame, in order.
      List<Publication> turn = new ArrayList<>();
      for (int n = 1; n <= 3; n++) {
        turn.add(new Publication("sandboxProcesses", id, "processesUpdated", Map.of("n", n)));
      }
      hub.publishAll(turn);

      JsonNode batch = client.next();
      assertThat(batch.get("type").asText()).as("%s", batch).isEqualTo("events");
      assertThat(batch.get("events")).hasSize(3);
      for (int n = 1; n <= 3; n++) {
        assertThat(batch.get("events").get(n - 1).get("payload").get("n").asInt()).isEqualTo(n);
      }
    }
  }

  @Test
  void aSocketThatDidNotAskForBatchesGetsEveryEventAlone() throws Exception {
    try (Watching w = watchingProcesses("rt-nobatch", "?batch=false")) {
      Client client = w.client();
      String id = w.id();

      publishTenWhileTheGateIsRendered(id);

      assertThat(client.next().get("payload").get("gated").asBoolean()).isTrue();
      for (int n = 1; n <= 10; n++) {
        JsonNode event = client.next();
        assertThat(event.get("type").asText()).isEqualTo("event");
        assertThat(event.get("payload").get("n").asInt()).isEqualTo(n);
      }
    }
  }

  @Test
  void aBatchParameterOtherThanTrueOrFalseIsRefusedWith400() throws Exception {
    User user = signIn("rt-batch-bad");
    assertThatThrownBy(() -> connect(base, user.cookie(), APP_URL, "?batch=yes"))
        .satisfies(e -> assertThat(handshakeStatus(e)).isEqualTo(400));
  }

  @Test
  void appTopicDeliversOnlyTheSignedInUsersPublications() throws Exception {
    User ann = signIn("rt-ann");
    User bob = signIn("rt-bob");
    try (Client annSocket = connect(ann.cookie(), APP_URL);
        Client bobSocket = connect(bob.cookie(), APP_URL)) {
      annSocket.send("{\"type\":\"subscribe\",\"topic\":\"app\"}");
      bobSocket.send("{\"type\":\"subscribe\",\"topic\":\"app\",\"id\":\"app\"}");
      JsonNode annSnapshot = annSocket.next();
      assertThat(annSnapshot.get("type").asText()).isEqualTo("snapshot");
      assertThat(annSnapshot.get("id").asText()).isEqualTo("app");
      assertThat(annSnapshot.get("payload").path("auth").path("currentUserId").asText())
          .isEqualTo(ann.id());
      assertThat(bobSocket.next().get("payload").path("auth").path("currentUserId").asText())
          .isEqualTo(bob.id());

      hub.publish(new Publication("app", "app", "appUpdated", Map.of("for", "bob"), bob.id()));
      hub.publish(new Publication("app", "app", "appUpdated", Map.of("for", "ann"), ann.id()));

      assertThat(annSocket.next().get("payload").get("for").asText()).isEqualTo("ann");
      assertThat(bobSocket.next().get("payload").get("for").asText()).isEqualTo("bob");
    }
  }

  @Test
  void everyEventThatReplacesATopicsStateHasTheShapeOfItsSnapshot() throws Exception {
    User user = signIn("rt-shapes");
    String taskId = createTask(user, "shapes");
    String task = user.organization() + "/" + taskId;
    Browser.Answer created =
        user.browser()
            .post(
                "/v1/organizations/" + user.organization() + "/tasks/" + taskId + "/sessions",
                "{}");
    assertThat(created.status()).as("create session: %s", created).isIn(200, 201);
    String sessionId = created.json().path("sessionId").asText();
    assertThat(sessionId).as("create session: %s", created).isNotEmpty();
    try (Client client = connect(user.cookie(), APP_URL)) {
      JsonNode organization = snapshotOf(client, "organization", user.organization());
      addRepository(user, "shapes-more");
      assertSameShape(eventOf(client, "organizationUpdated"), organization);
      // A task's change on the organization topic: one element of the snapshot's task list.
      assertThat(rename(user, taskId, "t1").status()).isEqualTo(200);
      JsonNode summary = eventOf(client, "taskSummaryUpdated");
      assertThat(summary.path("title").asText()).isEqualTo("t1");
      assertSameShape(summary, organization.path("taskSummaries").get(0));

      JsonNode taskSnapshot = snapshotOf(client, "task", task);
      user.browser()
          .patch(
              "/v1/organizations/" + user.organization() + "/tasks/" + taskId,
              "{\"title\":\"t2\"}");
      assertSameShape(eventOf(client, "taskUpdated"), taskSnapshot);
    }
    try (Client client = connect(user.cookie(), APP_URL)) {
      JsonNode session = snapshotOf(client, "session", task + "/" + sessionId);
      user.browser()
          .patch(
              "/v1/organizations/"
                  + user.organization()
                  + "/tasks/"
                  + taskId
                  + "/sessions/"
                  + sessionId,
              "{\"title\":\"renamed\"}");
      assertSameShape(eventOf(client, "sessionUpdated"), session);

      client.send("{\"type\":\"subscribe\",\"topic\":\"app\"}");
      JsonNode app = client.next();
      assertThat(app.get("type").asText()).isEqualTo("snapshot");
      user.browser()
          .post(
              "/v1/app/active-organization",
              "{\"organizationId\":\"" + user.organization() + "\"}");
      assertSameShape(eventOf(client, "appUpdated"), app.get("payload"));
    }
  }

  /**
   * The organization topic after its snapshot: a task's change is that task's summary, a removal
   * its id, anything else the whole organization; applied as docs/realtime.md says (the same rules
   * as the console), they always end at what a fresh snapshot shows. Renames in flight while the
   * subscription starts may be held back and repeat what the snapshot holds: each carries the
   * task's whole summary, so applying one twice changes nothing.
   */
  @Test
  void organizationTopicSendsPerTaskChangesThatAddUpToAFreshSnapshot() throws Exception {
    User user = signIn("rt-deltas");
    String org = user.organization();
    String repoId = addRepository(user, "deltas");
    String first = createTaskIn(user, repoId, "first");
    String second = createTaskIn(user, repoId, "second");
    DurableRef<OrganizationProtocol.Command<?>> organization =
        server.app().runtime().get(OrganizationProtocol.TYPE, OrganizationProtocol.key(org));
    OrganizationReplica replica = new OrganizationReplica();
    List<String> events = new ArrayList<>();
    try (Client client = connect(user.cookie(), APP_URL)) {
      CompletableFuture<Void> renames =
          CompletableFuture.runAsync(
              () -> {
                for (int n = 1; n <= 5; n++) {
                  assertThat(rename(user, first, "first-" + n).status()).isEqualTo(200);
                }
              });
      client.send(subscribe("organization", org));
      JsonNode snapshot = client.next();
      assertThat(snapshot.get("type").asText()).isEqualTo("snapshot");
      replica.apply(snapshot);
      renames.get(30, TimeUnit.SECONDS);

      String third = createTaskIn(user, repoId, "third");
      assertThat(rename(user, second, "second-renamed").status()).isEqualTo(200);
      Browser.Answer archived =
          user.browser().post("/v1/organizations/" + org + "/tasks/" + first + "/archive", "{}");
      assertThat(archived.status()).as("archive: %s", archived).isEqualTo(202);
      // A branch with an open pull request and no task: a virtual task, listed with its PR.
      WorkspacePullRequestSummary pr =
          new WorkspacePullRequestSummary(
              7,
              "ready",
              "Add the deltas",
              "OPEN",
              "https://github.com/acme/deltas/pull/7",
              "feature/deltas",
              "main",
              "acme/deltas",
              "octocat",
              false,
              System.currentTimeMillis());
      assertThat(
              organization
                  .ask(
                      new OrganizationProtocol.RefreshTaskSummaryForBranch(
                          repoId, "feature/deltas", pr, null))
                  .toCompletableFuture()
                  .get(10, TimeUnit.SECONDS))
          .isTrue();
      assertThat(
              organization
                  .ask(new OrganizationProtocol.RemoveTaskSummary(second))
                  .toCompletableFuture()
                  .get(10, TimeUnit.SECONDS))
          .isTrue();
      // Organization-level: the whole organization.
      String other = addRepository(user, "deltas-other");
      String lonely = createTaskIn(user, other, "lonely");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> appliedUntil(client, replica, events, lonely));
      // Its repository's last task: a repository without tasks shows its own activity, which
      // only the server knows, so the whole organization follows.
      assertThat(
              organization
                  .ask(new OrganizationProtocol.RemoveTaskSummary(lonely))
                  .toCompletableFuture()
                  .get(10, TimeUnit.SECONDS))
          .isTrue();

      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () -> {
                appliedUntil(client, replica, events, null);
                JsonNode fresh;
                try (Client reader = connect(user.cookie(), APP_URL)) {
                  fresh = snapshotOf(reader, "organization", org);
                }
                List<String> titles = new ArrayList<>();
                fresh.path("taskSummaries").forEach(t -> titles.add(t.path("title").asText()));
                assertThat(titles).contains("first-5", "Add the deltas").hasSize(3);
                assertThat(statusOf(fresh, first)).isEqualTo("archived");
                assertThat(statusOf(fresh, third)).isNotEmpty();
                assertThat(fresh.path("openPullRequests")).hasSize(1);
                assertThat(replica.state()).isEqualTo(fresh);
              });
    }
    assertThat(events)
        .contains("taskSummaryUpdated", "taskSummaryRemoved")
        .filteredOn("organizationUpdated"::equals)
        .as("only the repository added and its last task removed replace the organization")
        .hasSize(2);
  }

  private static Browser.Answer rename(User user, String taskId, String title) {
    return user.browser()
        .patch(
            "/v1/organizations/" + user.organization() + "/tasks/" + taskId,
            "{\"title\":\"" + title + "\"}");
  }

  /** Creates a task in an existing repository; answers its id. */
  private static String createTaskIn(User user, String repoId, String prompt) {
    Browser.Answer answer =
        user.browser()
            .post(
                "/v1/organizations/" + user.organization() + "/tasks",
                "{\"repoId\":\"" + repoId + "\",\"task\":\"" + prompt + "\"}");
    assertThat(answer.status()).as("create task: %s", answer).isIn(200, 201);
    return answer.json().path("id").asText();
  }

  private static String statusOf(JsonNode organization, String taskId) {
    for (JsonNode t : organization.path("taskSummaries")) {
      if (t.path("id").asText().equals(taskId)) {
        return t.path("status").asText();
      }
    }
    return "";
  }

  /**
   * Applies every frame that has arrived; true once the replica lists {@code taskId} (with null:
   * once nothing more is waiting).
   */
  private static boolean appliedUntil(
      Client client, OrganizationReplica replica, List<String> events, String taskId)
      throws Exception {
    String text;
    while ((text = client.frames.poll()) != null) {
      JsonNode frame = JSON.readTree(text);
      events.add(frame.path("event").asText());
      replica.apply(frame);
    }
    return taskId == null || !statusOf(replica.state(), taskId).isEmpty();
  }

  /** Subscribes and answers the snapshot's payload. */
  private static JsonNode snapshotOf(Client client, String topic, String id) throws Exception {
    client.send(subscribe(topic, id));
    JsonNode frame = client.next();
    assertThat(frame.get("type").asText()).as("frame %s", frame).isEqualTo("snapshot");
    return frame.get("payload");
  }

  /** The payload of the next event frame named {@code event} (other events are skipped). */
  private static JsonNode eventOf(Client client, String event) throws Exception {
    while (true) {
      JsonNode frame = client.next();
      if (frame.path("type").asText().equals("event")
          && frame.path("event").asText().equals(event)) {
        return frame.get("payload");
      }
    }
  }

  /**
   * The same field names at every level (values may differ: an event is built without a user, so
   * per-user fields hold defaults). A null on either side matches anything; arrays are compared by
   * their first elements when both have one.
   */
  private static void assertSameShape(JsonNode event, JsonNode snapshot) {
    List<String> differences = new ArrayList<>();
    compareShapes("$", event, snapshot, differences);
    assertThat(differences).as("event %s%nsnapshot %s", event, snapshot).isEmpty();
  }

  private static void compareShapes(String at, JsonNode a, JsonNode b, List<String> differences) {
    if (a == null || b == null || a.isNull() || b.isNull()) {
      return;
    }
    if (a.isObject() && b.isObject()) {
      Set<String> fieldsA = new TreeSet<>();
      Set<String> fieldsB = new TreeSet<>();
      a.fieldNames().forEachRemaining(fieldsA::add);
      b.fieldNames().forEachRemaining(fieldsB::add);
      if (!fieldsA.equals(fieldsB)) {
        differences.add(at + ": event fields " + fieldsA + ", snapshot fields " + fieldsB);
        return;
      }
      for (String field : fieldsA) {
        compareShapes(at + "." + field, a.get(field), b.get(field), differences);
      }
    } else if (a.isArray() && b.isArray()) {
      if (!a.isEmpty() && !b.isEmpty()) {
        compareShapes(at + "[0]", a.get(0), b.get(0), differences);
      }
    } else if (a.isContainerNode() || b.isContainerNode()) {
      differences.add(at + ": event " + a.getNodeType() + ", snapshot " + b.getNodeType());
    }
  }

  @Test
  void reconnectingClientGetsAFreshSnapshot() throws Exception {
    User user = signIn("rt-again");
    String org = user.organization();
    try (Client first = connect(user.cookie(), APP_URL)) {
      first.send(subscribe("organization", org));
      assertThat(first.next().get("payload").toString()).doesNotContain("sprockets");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> !hub.hasSubscribers("organization", org));

    addRepository(user, "sprockets");

    try (Client second = connect(user.cookie(), APP_URL)) {
      second.send(subscribe("organization", org));
      JsonNode snapshot = second.next();
      assertThat(snapshot.get("type").asText()).isEqualTo("snapshot");
      assertThat(snapshot.get("payload").toString()).contains("sprockets");
    }
  }

  // -- the session ends ------------------------------------------------------------------------

  @Test
  void signingOutClosesTheSessionsSocketsAndOnlyThose() throws Exception {
    User tab = signIn("rt-leaving");
    User otherDevice = signIn("rt-leaving");
    assertThat(otherDevice.id()).isEqualTo(tab.id());
    String org = tab.organization();
    try (Client leaving = connect(tab.cookie(), APP_URL);
        Client staying = connect(otherDevice.cookie(), APP_URL)) {
      leaving.send(subscribe("organization", org));
      assertThat(leaving.next().get("type").asText()).isEqualTo("snapshot");

      assertThat(tab.browser().post("/v1/auth/sign-out", null).status()).isEqualTo(204);

      leaving.awaitClosedByTheServer();
      await().atMost(Duration.ofSeconds(10)).until(() -> !hub.hasSubscribers("organization", org));

      // The user's other session keeps its socket, and it still works.
      staying.send("{\"type\":\"ping\"}");
      assertThat(staying.next().get("type").asText()).isEqualTo("pong");
      staying.send(subscribe("organization", org));
      assertThat(staying.next().get("type").asText()).isEqualTo("snapshot");
      addRepository(otherDevice, "after-sign-out");
      assertThat(staying.next().get("payload").toString()).contains("after-sign-out");
    }
  }

  @Test
  void signingInAsSomeoneElseClosesTheSocketsOfTheReplacedSession() throws Exception {
    User user = signIn("rt-replaced");
    try (Client socket = connect(user.cookie(), APP_URL)) {
      socket.send(subscribe("app", "app"));
      assertThat(socket.next().get("type").asText()).isEqualTo("snapshot");

      assertThat(user.browser().signIn("rt-replacing").status()).isEqualTo(200);

      socket.awaitClosedByTheServer();
    }
  }

  @Test
  void anExpiringSessionClosesItsSocket(@TempDir Path other) throws Exception {
    try (ApiServer shortLived = ApiServer.start(other, Map.of("FOUNDRY_SESSION_TTL", "4s"))) {
      Browser browser = shortLived.browser();
      String org = browser.signIn("rt-expiring").json().path("activeOrganizationId").asText();
      RealtimeHub itsHub = shortLived.app().runtime().hub();
      Client socket = connect("127.0.0.1:" + shortLived.app().port(), browser.cookie(), null);
      try (socket) {
        socket.send(subscribe("organization", org));
        assertThat(socket.next().get("type").asText()).isEqualTo("snapshot");

        socket.awaitClosedByTheServer();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> !itsHub.hasSubscribers("organization", org));
      }
    }
  }

  // -- slow clients ----------------------------------------------------------------------------

  @Test
  void clientThatDoesNotReadIsDisconnectedAndItsSubscriptionsReleased() throws Exception {
    User user = signIn("rt-slow");
    String id = user.organization() + "/" + createTask(user, "slow");
    double droppedBefore = dropped();
    String large = "x".repeat(64 * 1024);
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", server.app().port()));
      handshake(socket, user.cookie());
      writeTextFrame(socket.getOutputStream(), subscribe("sandboxProcesses", id));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> hub.hasSubscribers("sandboxProcesses", id));

      // Publish until the server gives up on the client and releases its subscription;
      // publishing itself never waits.
      int published = 0;
      while (hub.hasSubscribers("sandboxProcesses", id) && published < 20_000) {
        hub.publish(new Publication("sandboxProcesses", id, "processesUpdated", large));
        published++;
      }
      assertThat(hub.hasSubscribers("sandboxProcesses", id)).isFalse();
      assertThat(dropped()).isEqualTo(droppedBefore + 1);

      // The server closes the socket: reading drains what the kernel buffered, then ends.
      socket.setSoTimeout(30_000);
      assertThat(readUntilClosed(socket.getInputStream())).isTrue();
    }
  }

  // -- metrics ---------------------------------------------------------------------------------

  @Test
  void metricsNameTheRealtimeRuntimeAndHttpSeriesWithoutRawPaths() throws Exception {
    User user = signIn("rt-metrics");
    try (Client client = connect(user.cookie(), APP_URL)) {
      client.send("{\"type\":\"ping\"}");
      client.next();
      get("/v1/organizations/acme-secret-id/tasks");
      get("/v1/nowhere/other-secret-id");
      String text = get("/metrics").body();
      assertThat(text)
          .contains("foundry_realtime_connections")
          .contains("foundry_realtime_subscriptions")
          .contains("foundry_realtime_slow_clients_dropped_total")
          .contains("foundry_actors_active")
          .contains("http_server_requests_seconds_count")
          .contains("route=\"/v1/realtime\"")
          .contains("status=\"1xx\"")
          .contains("route=\"unmatched\"")
          .doesNotContain("acme-secret-id")
          .doesNotContain("other-secret-id");
    }
  }

  @Test
  void corsAnswersPreflightsOfTheAppOriginOnly() throws Exception {
    HttpResponse<String> preflight =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + base + "/v1/organizations/acme"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", APP_URL)
                .header("Access-Control-Request-Method", "PATCH")
                .header("Access-Control-Request-Headers", "content-type")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).contains(APP_URL);
    assertThat(preflight.headers().firstValue("access-control-allow-credentials")).contains("true");
    assertThat(preflight.headers().firstValue("access-control-allow-methods").orElse(""))
        .contains("PATCH");

    HttpResponse<String> fromApp =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + base + "/v1/health"))
                .header("Origin", APP_URL)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(fromApp.headers().firstValue("access-control-allow-origin")).contains(APP_URL);

    HttpResponse<String> foreign =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + base + "/v1/health"))
                .header("Origin", "http://evil.example")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(foreign.statusCode()).isEqualTo(200);
    assertThat(foreign.headers().firstValue("access-control-allow-origin")).isEmpty();
  }

  // -- helpers ---------------------------------------------------------------------------------

  /** {@code foundry_realtime_slow_clients_dropped_total}, as {@code GET /metrics} shows it. */
  private static double dropped() throws Exception {
    for (String line : get("/metrics").body().split("\n")) {
      if (line.startsWith("foundry_realtime_slow_clients_dropped_total")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no foundry_realtime_slow_clients_dropped_total in /metrics");
  }

  private static String subscribe(String topic, String id) {
    return "{\"type\":\"subscribe\",\"topic\":\"" + topic + "\",\"id\":\"" + id + "\"}";
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + base + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int handshakeStatus(Throwable e) {
    Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    while (t != null && !(t instanceof WebSocketHandshakeException)) {
      t = t.getCause();
    }
    assertThat(t).as("a refused handshake, got %s", e).isNotNull();
    return ((WebSocketHandshakeException) t).getResponse().statusCode();
  }

  /** Opens a socket with the session cookie {@code cookie} (none when null). */
  private static Client connect(String cookie, String origin) {
    return connect(base, cookie, origin);
  }

  private static Client connect(String base, String cookie, String origin) {
    return connect(base, cookie, origin, "");
  }

  private static Client connect(String base, String cookie, String origin, String query) {
    Client client = new Client();
    WebSocket.Builder builder = http.newWebSocketBuilder();
    if (cookie != null) {
      builder.header("Cookie", "foundry_session=" + cookie);
    }
    if (origin != null) {
      builder.header("Origin", origin);
    }
    client.socket =
        builder
            .buildAsync(URI.create("ws://" + base + "/v1/realtime" + query), client)
            .orTimeout(10, TimeUnit.SECONDS)
            .join();
    return client;
  }

  /** A reading client: frames arrive in a queue, one JSON object each. */
  private static final class Client implements WebSocket.Listener, AutoCloseable {
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    WebSocket socket;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        frames.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(null);
    }

    /** Waits until the server closes the socket (the test itself never closed it). */
    void awaitClosedByTheServer() throws Exception {
      closed.get(10, TimeUnit.SECONDS);
    }

    void send(String text) {
      socket.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    JsonNode next() throws Exception {
      String frame = frames.poll(10, TimeUnit.SECONDS);
      assertThat(frame).as("a frame within 10 s").isNotNull();
      return JSON.readTree(frame);
    }

    /** The next frame that answers one the client sent (not an event of its subscriptions). */
    JsonNode nextAnswer() throws Exception {
      while (true) {
        JsonNode frame = next();
        if (!frame.path("type").asText().equals("event")) {
          return frame;
        }
      }
    }

    @Override
    public void close() {
      if (closed.isDone()) {
        return;
      }
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(10, TimeUnit.SECONDS).join();
    }
  }

  /** A raw client, so the test decides when (never) it reads. */
  private static void handshake(Socket socket, String cookie) throws IOException {
    String request =
        "GET /v1/realtime HTTP/1.1\r\n"
            + "Host: "
            + base
            + "\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Cookie: foundry_session="
            + cookie
            + "\r\n\r\n";
    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("handshake answer").isNotEqualTo(-1);
      head.append((char) b);
    }
    assertThat(head.toString()).startsWith("HTTP/1.1 101");
  }

  /** One masked text frame, as a client must send it (RFC 6455 5.2). */
  private static void writeTextFrame(OutputStream out, String text) throws IOException {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    assertThat(payload.length).isLessThan(126);
    byte[] mask = {1, 2, 3, 4};
    out.write(0x81);
    out.write(0x80 | payload.length);
    out.write(mask);
    for (int i = 0; i < payload.length; i++) {
      out.write(payload[i] ^ mask[i % 4]);
    }
    out.flush();
  }

  /** Reads until the server closes the connection; false if it stays open past the timeout. */
  private static boolean readUntilClosed(InputStream in) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    try {
      while (in.read(buffer) != -1) {
        // discard
      }
      return true;
    } catch (SocketException reset) {
      return true;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    }
  }
}
