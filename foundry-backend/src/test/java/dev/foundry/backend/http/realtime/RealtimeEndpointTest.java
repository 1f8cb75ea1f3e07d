package dev.foundry.backend.http.realtime;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.HttpServer;
import dev.foundry.backend.http.Readiness;
import dev.foundry.backend.http.auth.Authenticator;
import dev.foundry.backend.http.auth.SignedInUser;
import dev.foundry.backend.metrics.FoundryMetrics;
import dev.foundry.backend.organization.OrganizationActor;
import dev.foundry.backend.organization.ProductFixture;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.runtime.RealtimeHub;
import dev.foundry.backend.runtime.json.JsonTypes;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The realtime socket over real sockets: the real {@link HttpServer} with the realtime route, real
 * product actors publishing to a real hub. Sign-in and topic access are small stand-ins (a cookie
 * that names the user; organization membership from a map) until the REST branch's session store
 * and topic access replace them in {@code FoundryApp}.
 */
class RealtimeEndpointTest {
  private static final String APP_URL = "http://app.foundry.test:4173";
  private static final int BUFFER_SIZE = 16;
  private static final int MAX_SUBSCRIPTIONS = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static ProductFixture product;
  private static FoundryMetrics metrics;
  private static ServerBinding binding;
  private static RealtimeHub hub;
  private static String base;
  private static final HttpClient http = HttpClient.newHttpClient();

  /** Organizations each test user may see; the stand-in for membership checks. */
  private static final Map<String, Set<String>> visible = new ConcurrentHashMap<>();

  /** Snapshots a test holds back to publish while they are being read. */
  private static final Map<String, CompletableFuture<Object>> heldSnapshots =
      new ConcurrentHashMap<>();

  /** Signed in: a {@code Cookie: test-session=<userId>} header. */
  private static final Authenticator COOKIE_NAMES_THE_USER =
      request ->
          CompletableFuture.completedFuture(
              request
                  .getHeader("Cookie")
                  .map(h -> h.value())
                  .filter(v -> v.startsWith("test-session="))
                  .map(v -> new SignedInUser(v.substring("test-session=".length()), "s1")));

  private static final TopicAccess MEMBERS_SEE_THEIR_ORGANIZATIONS =
      (user, topic, id) -> {
        if (topic.equals("app")) {
          return CompletableFuture.completedFuture(Map.of("userId", user.userId()));
        }
        String org = id.split("/")[0];
        if (!visible.getOrDefault(user.userId(), Set.of()).contains(org)) {
          return CompletableFuture.failedFuture(
              new ApiException(StatusCodes.NOT_FOUND, "not_found", "no such " + topic));
        }
        CompletableFuture<Object> held = heldSnapshots.get(topic + ":" + id);
        if (held != null) {
          return held;
        }
        if (topic.equals("organization")) {
          CompletionStage<?> summary =
              product
                  .runtime()
                  .get(OrganizationActor.KIND, OrganizationActor.key(id))
                  .query(new OrganizationActor.GetOrganizationSummary());
          return summary.thenApply(s -> (Object) s);
        }
        return CompletableFuture.completedFuture(Map.of("processes", List.of()));
      };

  @BeforeAll
  static void startServer() throws Exception {
    product = new ProductFixture(dir.resolve("data"));
    hub = product.fixture().hub();
    FoundrySettings settings =
        FoundrySettings.from(
            FoundryConfig.load(
                Map.of(),
                ConfigFactory.parseMap(
                    Map.of(
                        "foundry.data-dir", dir.resolve("data").toString(),
                        "foundry.http.port", 0,
                        "foundry.app-url", APP_URL,
                        "foundry.realtime.buffer-size", BUFFER_SIZE,
                        "foundry.realtime.max-subscriptions", MAX_SUBSCRIPTIONS))));
    var system = product.runtime().system();
    metrics = new FoundryMetrics();
    metrics.watch(product.runtime());
    RealtimeEndpoint endpoint =
        new RealtimeEndpoint(
            system,
            settings,
            COOKIE_NAMES_THE_USER,
            MEMBERS_SEE_THEIR_ORGANIZATIONS,
            hub,
            JsonTypes.get(system).mapper(),
            metrics.registry());
    Readiness readiness = new Readiness();
    readiness.ready();
    binding =
        new HttpServer(system, settings, readiness, List.of(endpoint.route()), metrics)
            .start()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    base = "127.0.0.1:" + binding.localAddress().getPort();
  }

  @AfterAll
  static void stop() {
    product.close();
  }

  // -- before the upgrade ----------------------------------------------------------------------

  @Test
  void upgradeWithoutASessionIsRefusedWith401() {
    assertThatThrownBy(() -> connect(null, null))
        .satisfies(e -> assertThat(handshakeStatus(e)).isEqualTo(401));
  }

  @Test
  void upgradeFromAnotherOriginIsRefusedWith403() {
    assertThatThrownBy(() -> connect("mallory", "http://evil.example"))
        .satisfies(e -> assertThat(handshakeStatus(e)).isEqualTo(403));
  }

  @Test
  void upgradeFromTheAppOriginOrWithoutOriginIsAccepted() throws Exception {
    try (Client fromApp = connect("ann", APP_URL);
        Client noOrigin = connect("ann", null)) {
      fromApp.send("{\"type\":\"ping\"}");
      noOrigin.send("{\"type\":\"ping\"}");
      assertThat(fromApp.next().get("type").asText()).isEqualTo("pong");
      assertThat(noOrigin.next().get("type").asText()).isEqualTo("pong");
    }
  }

  // -- subscriptions ---------------------------------------------------------------------------

  @Test
  void subscriberGetsTheSnapshotThenEveryChangeOfTheRealActor() throws Exception {
    String org = product.newPersonalOrganization("u-sub");
    visible.put("sub", Set.of(org));
    try (Client client = connect("sub", APP_URL)) {
      client.send(subscribe("organization", org));
      JsonNode snapshot = client.next();
      assertThat(snapshot.get("type").asText()).isEqualTo("snapshot");
      assertThat(snapshot.get("topic").asText()).isEqualTo("organization");
      assertThat(snapshot.get("id").asText()).isEqualTo(org);
      assertThat(snapshot.get("payload").toString()).doesNotContain("widgets");

      product.addRepository(org, "file:///srv/git/acme/widgets.git");

      JsonNode event = client.next();
      assertThat(event.get("type").asText()).isEqualTo("event");
      assertThat(event.get("topic").asText()).isEqualTo("organization");
      assertThat(event.get("id").asText()).isEqualTo(org);
      assertThat(event.get("event").asText()).isEqualTo("organizationUpdated");
      assertThat(event.get("payload").toString()).contains("widgets");
    }
  }

  @Test
  void afterUnsubscribeNoMoreEventsArrive() throws Exception {
    String org = product.newPersonalOrganization("u-unsub");
    visible.put("unsub", Set.of(org));
    try (Client client = connect("unsub", APP_URL)) {
      client.send(subscribe("organization", org));
      assertThat(client.next().get("type").asText()).isEqualTo("snapshot");
      client.send("{\"type\":\"unsubscribe\",\"topic\":\"organization\",\"id\":\"" + org + "\"}");
      client.send("{\"type\":\"ping\"}");
      assertThat(client.next().get("type").asText()).isEqualTo("pong");
      assertThat(hub.hasSubscribers("organization", org)).isFalse();

      // The actor publishes before it answers: an event would be queued before this pong.
      product.addRepository(org, "file:///srv/git/acme/gadgets.git");
      client.send("{\"type\":\"ping\"}");
      assertThat(client.next().get("type").asText()).isEqualTo("pong");
    }
  }

  @Test
  void topicTheUserMayNotSeeIsAnErrorFrameAndNothingIsSubscribed() throws Exception {
    String org = product.newPersonalOrganization("u-owner");
    try (Client client = connect("stranger", APP_URL)) {
      client.send(subscribe("organization", org));
      JsonNode error = client.next();
      assertThat(error.get("type").asText()).isEqualTo("error");
      assertThat(error.get("code").asText()).isEqualTo("not_found");
      assertThat(error.get("topic").asText()).isEqualTo("organization");
      assertThat(error.get("id").asText()).isEqualTo(org);
      assertThat(hub.hasSubscribers("organization", org)).isFalse();

      client.send("{\"type\":\"ping\"}");
      assertThat(client.next().get("type").asText()).isEqualTo("pong");
    }
  }

  @Test
  void badFramesAreErrorFramesAndTheConnectionStaysOpen() throws Exception {
    try (Client client = connect("ann", APP_URL)) {
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
    visible.put("many", Set.of("org-many"));
    try (Client client = connect("many", APP_URL)) {
      for (int i = 0; i < MAX_SUBSCRIPTIONS; i++) {
        client.send(subscribe("sandboxProcesses", "org-many/t" + i));
        assertThat(client.next().get("type").asText()).isEqualTo("snapshot");
      }
      client.send(subscribe("sandboxProcesses", "org-many/one-more"));
      JsonNode error = client.next();
      assertThat(error.get("code").asText()).isEqualTo("too_many_subscriptions");
      assertThat(hub.hasSubscribers("sandboxProcesses", "org-many/one-more")).isFalse();

      client.send(subscribe("sandboxProcesses", "org-many/t0"));
      assertThat(client.next().get("code").asText()).isEqualTo("already_subscribed");
    }
  }

  @Test
  void changesPublishedWhileTheSnapshotIsReadFollowItInOrder() throws Exception {
    visible.put("order", Set.of("org-order"));
    String id = "org-order/t1";
    CompletableFuture<Object> snapshot = new CompletableFuture<>();
    heldSnapshots.put("sandboxProcesses:" + id, snapshot);
    try (Client client = connect("order", APP_URL)) {
      client.send(subscribe("sandboxProcesses", id));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> hub.hasSubscribers("sandboxProcesses", id));

      hub.publish(new Publication("sandboxProcesses", id, "processesUpdated", Map.of("n", 1)));
      hub.publish(new Publication("sandboxProcesses", id, "processesUpdated", Map.of("n", 2)));
      snapshot.complete(Map.of("n", 1));
      hub.publish(new Publication("sandboxProcesses", id, "processesUpdated", Map.of("n", 3)));

      assertThat(client.next().get("type").asText()).isEqualTo("snapshot");
      for (int n = 1; n <= 3; n++) {
        JsonNode event = client.next();
        assertThat(event.get("type").asText()).isEqualTo("event");
        assertThat(event.get("payload").get("n").asInt()).isEqualTo(n);
      }
    } finally {
      heldSnapshots.remove("sandboxProcesses:" + id);
    }
  }

  @Test
  void appTopicDeliversOnlyTheSignedInUsersPublications() throws Exception {
    try (Client ann = connect("ann", APP_URL);
        Client bob = connect("bob", APP_URL)) {
      ann.send("{\"type\":\"subscribe\",\"topic\":\"app\"}");
      bob.send("{\"type\":\"subscribe\",\"topic\":\"app\",\"id\":\"app\"}");
      JsonNode annSnapshot = ann.next();
      assertThat(annSnapshot.get("type").asText()).isEqualTo("snapshot");
      assertThat(annSnapshot.get("id").asText()).isEqualTo("app");
      assertThat(annSnapshot.get("payload").get("userId").asText()).isEqualTo("ann");
      assertThat(bob.next().get("payload").get("userId").asText()).isEqualTo("bob");

      hub.publish(new Publication("app", "app", "appUpdated", Map.of("for", "bob"), "bob"));
      hub.publish(new Publication("app", "app", "appUpdated", Map.of("for", "ann"), "ann"));

      assertThat(ann.next().get("payload").get("for").asText()).isEqualTo("ann");
      assertThat(bob.next().get("payload").get("for").asText()).isEqualTo("bob");
    }
  }

  @Test
  void reconnectingClientGetsAFreshSnapshot() throws Exception {
    String org = product.newPersonalOrganization("u-again");
    visible.put("again", Set.of(org));
    try (Client first = connect("again", APP_URL)) {
      first.send(subscribe("organization", org));
      assertThat(first.next().get("payload").toString()).doesNotContain("sprockets");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> !hub.hasSubscribers("organization", org));

    product.addRepository(org, "file:///srv/git/acme/sprockets.git");

    try (Client second = connect("again", APP_URL)) {
      second.send(subscribe("organization", org));
      JsonNode snapshot = second.next();
      assertThat(snapshot.get("type").asText()).isEqualTo("snapshot");
      assertThat(snapshot.get("payload").toString()).contains("sprockets");
    }
  }

  // -- slow clients ----------------------------------------------------------------------------

  @Test
  void clientThatDoesNotReadIsDisconnectedAndItsSubscriptionsReleased() throws Exception {
    visible.put("slow", Set.of("org-slow"));
    String id = "org-slow/t1";
    double droppedBefore = dropped();
    String large = "x".repeat(64 * 1024);
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", binding.localAddress().getPort()));
      handshake(socket, "slow");
      writeTextFrame(socket.getOutputStream(), subscribe("sandboxProcesses", id));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> hub.hasSubscribers("sandboxProcesses", id));

      // Publish until the server gives up on the client; publishing itself never waits.
      int published = 0;
      while (dropped() == droppedBefore && published < 20_000) {
        hub.publish(new Publication("sandboxProcesses", id, "processesUpdated", large));
        published++;
      }
      assertThat(dropped()).isEqualTo(droppedBefore + 1);
      assertThat(hub.hasSubscribers("sandboxProcesses", id)).isFalse();

      // The server closes the socket: reading drains what the kernel buffered, then ends.
      socket.setSoTimeout(30_000);
      assertThat(readUntilClosed(socket.getInputStream())).isTrue();
    }
  }

  // -- metrics ---------------------------------------------------------------------------------

  @Test
  void metricsNameTheRealtimeRuntimeAndHttpSeriesWithoutRawPaths() throws Exception {
    try (Client client = connect("ann", APP_URL)) {
      client.send("{\"type\":\"ping\"}");
      client.next();
      get("/v1/organizations/acme-secret-id/tasks");
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
          .doesNotContain("acme-secret-id");
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

  private static double dropped() {
    return metrics.registry().get("foundry.realtime.slow.clients.dropped").counter().count();
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

  private static Client connect(String user, String origin) {
    Client client = new Client();
    WebSocket.Builder builder = http.newWebSocketBuilder();
    if (user != null) {
      builder.header("Cookie", "test-session=" + user);
    }
    if (origin != null) {
      builder.header("Origin", origin);
    }
    client.socket =
        builder
            .buildAsync(URI.create("ws://" + base + "/v1/realtime"), client)
            .orTimeout(10, TimeUnit.SECONDS)
            .join();
    return client;
  }

  /** A reading client: frames arrive in a queue, one JSON object each. */
  private static final class Client implements WebSocket.Listener, AutoCloseable {
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
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

    void send(String text) {
      socket.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    JsonNode next() throws Exception {
      String frame = frames.poll(10, TimeUnit.SECONDS);
      assertThat(frame).as("a frame within 10 s").isNotNull();
      return JSON.readTree(frame);
    }

    @Override
    public void close() {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(10, TimeUnit.SECONDS).join();
    }
  }

  /** A raw client, so the test decides when (never) it reads. */
  private static void handshake(Socket socket, String user) throws IOException {
    String request =
        "GET /v1/realtime HTTP/1.1\r\n"
            + "Host: "
            + base
            + "\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Cookie: test-session="
            + user
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
