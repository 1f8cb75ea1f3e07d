package dev.foundry.sandbox.acp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.sandbox.client.AgentUnavailableException;
import dev.foundry.sandbox.client.ConflictException;
import dev.foundry.sandbox.client.InvalidRequestException;
import dev.foundry.sandbox.client.NotFoundException;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;
import dev.foundry.sandbox.client.SandboxAgentException;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import dev.foundry.sandbox.client.UnauthorizedException;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.support.TestSandboxes;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real sandbox-agent 0.4.2 with its built-in echo {@code mock}: the transport contract. */
class BuiltInMockAgentTest {

  static TestSandboxes sandboxes;
  static Sandbox sandbox;
  static SandboxAgentClient client;

  @BeforeAll
  static void startServer() {
    sandboxes = new TestSandboxes("mock");
    sandbox = sandboxes.create("mock-box", false);
    client = sandbox.client();
    client.installAgent("mock", false).join();
  }

  @AfterAll
  static void stopServer() {
    sandboxes.close();
  }

  private static AcpConnection open(AcpListener listener) {
    return client
        .openAcp(AcpConnectionOptions.forAgent("mock").withListener(listener), initParams())
        .orTimeout(20, TimeUnit.SECONDS)
        .join();
  }

  private static ObjectNode initParams() {
    ObjectNode p = SandboxAgentHttp.JSON.createObjectNode();
    p.put("protocolVersion", 1);
    p.putObject("clientInfo").put("name", "test").put("version", "1");
    return p;
  }

  @Test
  void everyRequestIsEchoedBackAndCorrelatedById() {
    List<String> notifications = new CopyOnWriteArrayList<>();
    try (AcpConnection acp = open(onNotification(notifications))) {
      assertThat(acp.initializeResult().path("echoed").path("method").asText())
          .isEqualTo("initialize");

      var first =
          acp.request("session/new", Map.of("cwd", sandbox.workDir(), "mcpServers", List.of()));
      var second = acp.request("session/prompt", Map.of("sessionId", "s-1", "prompt", List.of()));
      JsonNode newResult = first.orTimeout(10, TimeUnit.SECONDS).join();
      JsonNode promptResult = second.orTimeout(10, TimeUnit.SECONDS).join();

      assertThat(newResult.path("echoed").path("method").asText()).isEqualTo("session/new");
      assertThat(newResult.path("echoed").path("params").path("cwd").asText())
          .isEqualTo(sandbox.workDir());
      assertThat(promptResult.path("echoed").path("params").path("sessionId").asText())
          .isEqualTo("s-1");
      // The mock's echo notification precedes each response on the stream.
      await().atMost(Duration.ofSeconds(5)).until(() -> notifications.size() >= 3);
      assertThat(notifications).startsWith("mock/echo:initialize");
      assertThat(notifications).contains("mock/echo:session/new", "mock/echo:session/prompt");
    }
  }

  @Test
  void notificationsAndClientResponsesAreAcceptedWith202() throws Exception {
    List<String> notifications = new CopyOnWriteArrayList<>();
    try (AcpConnection acp = open(onNotification(notifications))) {
      acp.notify("session/cancel", Map.of("sessionId", "s-1"))
          .orTimeout(5, TimeUnit.SECONDS)
          .join();

      String response =
          "{\"jsonrpc\":\"2.0\",\"id\":\"perm-1\",\"result\":{\"outcome\":{\"outcome\":\"cancelled\"}}}";
      HttpResponse<byte[]> raw =
          client
              .http()
              .client()
              .send(
                  client
                      .http()
                      .request("/v1/acp/" + acp.serverId())
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString(response))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      assertThat(raw.statusCode()).isEqualTo(202);
      assertThat(raw.body()).isEmpty();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> notifications.contains("mock/client_response:"));
      assertThat(notifications).contains("mock/echo:session/cancel");
    }
  }

  @Test
  void theStreamReplaysFromTheFirstEventAndResumesAfterLastEventId() throws Exception {
    try (AcpConnection acp = open(null)) {
      acp.request("session/new", Map.of("cwd", "/tmp", "mcpServers", List.of())).join();
      await().atMost(Duration.ofSeconds(5)).until(() -> acp.lastEventId() >= 4);

      List<Long> all = eventIds(acp.serverId(), null, 4);
      List<Long> afterTwo = eventIds(acp.serverId(), 2L, 2);

      assertThat(all).startsWith(1L, 2L, 3L, 4L);
      assertThat(afterTwo).first().isEqualTo(3L);
      assertThat(afterTwo).doesNotContain(1L, 2L);
    }
  }

  @Test
  void errorStatusesBecomeTypedExceptions() throws Exception {
    String fresh = "errors-" + System.nanoTime();
    // First POST without ?agent= : 400 invalid_request.
    assertThat(
            postRaw("/v1/acp/" + fresh, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}"))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("agent");
    // Unknown agent: 400 unsupported_agent.
    assertThatThrownBy(
            () -> client.openAcp(AcpConnectionOptions.forAgent("nosuch"), initParams()).join())
        .hasCauseInstanceOf(AgentUnavailableException.class);
    // The same serverId with another agent: 409.
    try (AcpConnection acp = open(null)) {
      assertThatThrownBy(
              () ->
                  client
                      .openAcp(
                          AcpConnectionOptions.forAgent("claude").withServerId(acp.serverId()),
                          initParams())
                      .join())
          .hasCauseInstanceOf(ConflictException.class);
    }
    // The stream of an instance that does not exist: 404 session_not_found.
    HttpResponse<byte[]> sse =
        client
            .http()
            .client()
            .send(
                client
                    .http()
                    .request("/v1/acp/" + fresh)
                    .header("Accept", "text/event-stream")
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(SandboxAgentHttp.errorFromResponse("sse", sse))
        .isInstanceOf(NotFoundException.class);
    // A wrong token: 401 token_invalid, health included.
    try (SandboxAgentClient wrong =
        SandboxAgentClient.builder(
                SandboxAgentEndpoint.of(client.endpoint().baseUri().toString(), "nope"))
            .build()) {
      assertThatThrownBy(() -> wrong.health().join())
          .hasCauseInstanceOf(UnauthorizedException.class);
    }
    // A process that cannot be spawned: 502 stream_error, the generic type with its problem.
    assertThatThrownBy(
            () ->
                client
                    .processes()
                    .run(dev.foundry.sandbox.process.ProcessRequest.of("/no/such/binary"))
                    .join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isExactlyInstanceOf(SandboxAgentException.class)
        .satisfies(
            e -> {
              SandboxAgentException s = (SandboxAgentException) e;
              assertThat(s.status()).isEqualTo(502);
              assertThat(s.problem().orElseThrow().errorType()).isEqualTo("stream_error");
            });
  }

  @Test
  void aSessionCannotBeCreatedOnTheEchoMockBecauseItNeverReturnsASessionId() {
    assertThatThrownBy(
            () ->
                AgentSession.open(client, AgentSessionOptions.of("mock", sandbox.workDir()))
                    .orTimeout(20, TimeUnit.SECONDS)
                    .join())
        .hasCauseInstanceOf(SandboxAgentException.class)
        .hasMessageContaining("without a sessionId");
  }

  private static SandboxAgentException postRaw(String path, String body) throws Exception {
    HttpResponse<byte[]> r =
        client
            .http()
            .client()
            .send(
                client
                    .http()
                    .request(path)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    return SandboxAgentHttp.errorFromResponse("raw post", r);
  }

  /** Reads the stream until the replay is through (a short idle gap) and returns the event ids. */
  private static List<Long> eventIds(String serverId, Long lastEventId, int atLeast)
      throws Exception {
    HttpRequest.Builder request =
        client.http().request("/v1/acp/" + serverId).header("Accept", "text/event-stream").GET();
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId.toString());
    }
    HttpResponse<java.io.InputStream> response =
        client.http().client().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    List<Long> ids = new ArrayList<>();
    SseParser parser = new SseParser(e -> ids.add(e.id()), () -> {});
    Thread reader =
        new Thread(
            () -> {
              try (var lines =
                  new java.io.BufferedReader(new java.io.InputStreamReader(response.body()))) {
                String line;
                while ((line = lines.readLine()) != null) {
                  synchronized (ids) {
                    parser.line(line);
                  }
                }
              } catch (java.io.IOException closed) {
                // we close the stream below
              }
            });
    reader.setDaemon(true);
    reader.start();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              synchronized (ids) {
                return ids.size() >= atLeast;
              }
            });
    Thread.sleep(200);
    response.body().close();
    synchronized (ids) {
      return List.copyOf(ids);
    }
  }

  private static AcpListener onNotification(List<String> sink) {
    return new AcpListener() {
      @Override
      public void onNotification(String method, JsonNode params) {
        sink.add(method + ":" + params.path("message").path("method").asText(""));
      }
    };
  }
}
