package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route of the served OpenAPI document ({@code GET /v1/openapi.json}) with random and hostile
 * requests over a real socket: bodies of the wrong type, huge, deeply nested, not UTF-8, empty, an
 * array for an object; path parameters with {@code ..}, {@code %00}, very long or unicode; odd
 * methods, wrong content types, huge headers. A seeded {@link Random} and a fixed number of cases
 * keep it reproducible and bounded.
 *
 * <p>Asserted for every answer: no 500 (no 5xx but a documented 501/503/504), no hang (a client
 * timeout), every error in the documented {@code {"error":{"code","message"}}} shape. And a refused
 * request changes nothing: the organization, its repositories, tasks, a task and the audit log read
 * the same before and after a batch of requests that were all refused (or reads).
 */
class OpenApiFuzzTest {
  private static final long SEED = 13;
  private static final int CASES = 2400;
  private static final int BATCH = 20;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path dir;
  private static ApiServer server;
  private static Browser alice;
  private static String login;
  private static String org;
  private static String repoId;
  private static String taskId;
  private static String sessionId;
  private static JsonNode doc;

  @BeforeAll
  static void start() throws Exception {
    server = ApiServer.start(dir);
    alice = server.browser();
    login = "fuzz-" + UUID.randomUUID().toString().substring(0, 6);
    org = alice.signIn(login).json().path("activeOrganizationId").asText();
    Answer repo =
        alice.post(
            "/v1/organizations/" + org + "/repos",
            "{\"remoteUrl\":\"" + server.bareRepository("fuzz") + "\"}");
    assertThat(repo.status()).as(repo.toString()).isEqualTo(201);
    repoId = repo.json().path("repoId").asText();
    Answer task =
        alice.post(
            "/v1/organizations/" + org + "/tasks",
            "{\"repoId\":\"" + repoId + "\",\"task\":\"fuzz target\"}");
    assertThat(task.status()).as(task.toString()).isEqualTo(201);
    taskId = task.json().path("id").asText();
    // The task starts its first session (and fails to, without a sandbox binary): wait until
    // nothing changes on its own any more.
    String[] last = {null};
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              String now = snapshot();
              boolean settled = now.equals(last[0]);
              last[0] = now;
              return settled;
            });
    JsonNode sessions =
        alice.get("/v1/organizations/" + org + "/tasks/" + taskId).json().path("sessionsSummary");
    sessionId = sessions.size() > 0 ? sessions.get(0).path("sessionId").asText() : "session-1";
    doc = alice.get("/v1/openapi.json").json();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** What a refused request must not change, as the signed-in owner reads it. */
  private static String snapshot() {
    String base = "/v1/organizations/" + org;
    StringBuilder b = new StringBuilder();
    for (String path :
        List.of(
            base,
            base + "/repos",
            base + "/tasks",
            base + "/tasks/" + taskId,
            base + "/audit-log")) {
      Answer a = alice.get(path);
      b.append(path).append(' ').append(a.status()).append(' ').append(a.text()).append('\n');
    }
    return b.toString();
  }

  // --- the operations of the document ---------------------------------------------------------

  private record Operation(String method, String path, JsonNode bodySchema) {}

  private static List<Operation> operations() {
    List<Operation> ops = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields();
        paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> it = path.getValue().fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> op = it.next();
        JsonNode schema =
            resolve(op.getValue().path("requestBody").path("content").path("application/json"))
                .path("schema");
        ops.add(new Operation(op.getKey().toUpperCase(), path.getKey(), resolve(schema)));
      }
    }
    return ops;
  }

  private static JsonNode resolve(JsonNode node) {
    String ref = node.path("$ref").asText(null);
    if (ref == null || !ref.startsWith("#/")) {
      return node;
    }
    JsonNode target = doc;
    for (String part : ref.substring(2).split("/")) {
      target = target.path(part);
    }
    return resolve(target);
  }

  // --- hostile parts ----------------------------------------------------------------------------

  private static final String[] HOSTILE_SEGMENTS = {
    "..",
    "%2e%2e",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "a%00b",
    "%2F",
    "%20",
    "%C3%A9t%C3%A9",
    "%F0%9F%98%80",
    "%FF%FE",
    "%E2%80%AE",
    "-1",
    "0",
    "99999999999999999999999",
    "null",
    "%7B%7D",
    "%25",
    ";",
    "personal-someone-else",
  };

  private static final String[] ODD_METHODS = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND", "FOO", "TRACE"
  };

  private static final String[] CONTENT_TYPES = {
    "text/plain",
    "application/json; charset=latin1",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "*/*",
    "application/json;;;",
    "nonsense",
  };

  private static String segment(Random r, String name) {
    if (r.nextInt(10) < 6) {
      return switch (name) {
        case "org" -> org;
        case "taskId" -> taskId;
        case "repoId" -> repoId;
        case "sessionId" -> sessionId;
        default -> "p-" + r.nextInt(1000);
      };
    }
    return switch (r.nextInt(4)) {
      case 0 -> "x".repeat(1 + r.nextInt(6000));
      case 1 -> "%E6%97%A5".repeat(1 + r.nextInt(300));
      default -> HOSTILE_SEGMENTS[r.nextInt(HOSTILE_SEGMENTS.length)];
    };
  }

  private static String path(Random r, String template) {
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      int open = template.indexOf('{', i);
      if (open < 0) {
        b.append(template, i, template.length());
        break;
      }
      int close = template.indexOf('}', open);
      b.append(template, i, open);
      b.append(segment(r, template.substring(open + 1, close)));
      i = close + 1;
    }
    if (r.nextInt(20) == 0) {
      b.append(r.nextBoolean() ? "?wait=" + segment(r, "q") : "?" + "q=".repeat(200));
    }
    return b.toString();
  }

  private static String hostileString(Random r) {
    return switch (r.nextInt(9)) {
      case 0 -> "";
      case 1 -> " ";
      case 2 -> "x".repeat(100_000 + r.nextInt(200_000));
      case 3 -> "\u0000\u0001\u001f";
      case 4 -> "../../etc/passwd";
      case 5 -> "\ud83d\ude00\u202e\u200b日本語";
      case 6 -> "-- ; DROP TABLE tasks; --";
      case 7 -> "<script>alert(1)</script>";
      default -> "v" + r.nextInt();
    };
  }

  private static Object wrongValue(Random r) {
    return switch (r.nextInt(9)) {
      case 0 -> null;
      case 1 -> r.nextInt();
      case 2 -> r.nextBoolean();
      case 3 -> List.of(hostileString(r));
      case 4 -> Map.of("nested", hostileString(r));
      case 5 -> 1e308;
      case 6 -> Long.MIN_VALUE;
      default -> hostileString(r);
    };
  }

  /** A body for {@code schema}: each documented property given a hostile or wrong value. */
  private static byte[] body(Random r, JsonNode schema) throws Exception {
    switch (r.nextInt(14)) {
      case 0:
        return new byte[0];
      case 1:
        return "null".getBytes(StandardCharsets.UTF_8);
      case 2:
        return "[]".getBytes(StandardCharsets.UTF_8);
      case 3:
        return "[{}]".getBytes(StandardCharsets.UTF_8);
      case 4:
        {
          int depth = 500 + r.nextInt(20_000);
          return ("[".repeat(depth) + "]".repeat(depth)).getBytes(StandardCharsets.UTF_8);
        }
      case 5:
        {
          int depth = 500 + r.nextInt(20_000);
          return ("{\"a\":".repeat(depth) + "1" + "}".repeat(depth))
              .getBytes(StandardCharsets.UTF_8);
        }
      case 6:
        {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.write("{\"text\":\"".getBytes(StandardCharsets.UTF_8));
          out.write(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE, (byte) 0x80});
          out.write("\"}".getBytes(StandardCharsets.UTF_8));
          return out.toByteArray();
        }
      case 7:
        return "{\"a\":".getBytes(StandardCharsets.UTF_8);
      case 8:
        {
          byte[] noise = new byte[1 + r.nextInt(2000)];
          r.nextBytes(noise);
          return noise;
        }
      case 9:
        return "{\"title\":1,\"title\":\"dup\"}".getBytes(StandardCharsets.UTF_8);
      case 10:
        return ("\"" + hostileString(r) + "\"").getBytes(StandardCharsets.UTF_8);
      default:
        {
          Map<String, Object> object = new java.util.LinkedHashMap<>();
          for (Iterator<String> names = schema.path("properties").fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (r.nextInt(4) > 0) {
              object.put(name, r.nextBoolean() ? hostileString(r) : wrongValue(r));
            }
          }
          if (r.nextInt(3) == 0) {
            object.put("unknown" + r.nextInt(5), wrongValue(r));
          }
          return JSON.writeValueAsBytes(object);
        }
    }
  }

  // --- the run ----------------------------------------------------------------------------------

  private record Sent(String method, String description, int status) {
    /** Whether the server took it as a change (a non-safe request it did not refuse). */
    boolean mayChangeState() {
      return status < 400 && !List.of("GET", "HEAD", "OPTIONS").contains(method);
    }
  }

  @Test
  void hostileRequestsToEveryRouteAreRefusedCleanlyAndChangeNothing() throws Exception {
    List<Operation> ops = operations();
    assertThat(ops).hasSizeGreaterThan(20);
    Random r = new Random(SEED);
    List<String> problems = new ArrayList<>();
    String before = snapshot();
    List<Sent> batch = new ArrayList<>();
    int checkedBatches = 0;
    for (int n = 0; n < CASES; n++) {
      Operation op = ops.get(r.nextInt(ops.size()));
      Sent sent = send(r, op, problems);
      batch.add(sent);
      if (batch.size() == BATCH || n == CASES - 1) {
        keepSignedIn();
        String after = snapshot();
        boolean refusedOrRead = batch.stream().noneMatch(Sent::mayChangeState);
        if (refusedOrRead) {
          checkedBatches++;
        }
        if (refusedOrRead && !after.equals(before)) {
          problems.add(
              "state changed by refused requests "
                  + batch.stream().map(Sent::description).toList()
                  + "\nbefore: "
                  + before
                  + "\nafter: "
                  + after);
        }
        before = after;
        batch.clear();
      }
    }
    assertThat(problems).as("problems found (seed %d)", SEED).isEmpty();
    // Most batches were refused or reads only, so the state check did compare something.
    assertThat(checkedBatches).isGreaterThan(CASES / BATCH / 2);
  }

  /** A fuzzed sign-out ends the owner's session: sign in again so the next cases are seen. */
  private static void keepSignedIn() {
    if (alice.get("/v1/auth/session").status() == 401) {
      Answer again = alice.withCookie(null).signIn(login);
      assertThat(again.json().path("activeOrganizationId").asText()).isEqualTo(org);
    }
  }

  private static Sent send(Random r, Operation op, List<String> problems) throws Exception {
    String method = r.nextInt(10) < 8 ? op.method() : ODD_METHODS[r.nextInt(ODD_METHODS.length)];
    String path = path(r, op.path());
    byte[] body = r.nextInt(10) == 0 ? null : body(r, op.bodySchema());
    HttpRequest.Builder b;
    try {
      b = HttpRequest.newBuilder(URI.create(server.base() + path)).timeout(REQUEST_TIMEOUT);
    } catch (IllegalArgumentException e) {
      return new Sent(method, method + " " + path + " (not a URI)", 400);
    }
    if (alice.cookie() != null && r.nextInt(10) > 0) {
      b.header("Cookie", "foundry_session=" + alice.cookie());
    } else if (r.nextBoolean()) {
      b.header("Cookie", "foundry_session=" + hostileString(r).replaceAll("[^ -~]", "x"));
    }
    String contentType =
        r.nextInt(10) < 7 ? "application/json" : CONTENT_TYPES[r.nextInt(CONTENT_TYPES.length)];
    if (body != null || r.nextBoolean()) {
      b.header("Content-Type", contentType);
    }
    if (r.nextInt(25) == 0) {
      b.header("X-Fuzz", "h".repeat(1000 + r.nextInt(40_000)));
    }
    if (r.nextInt(25) == 0) {
      b.header("Accept", "text/html");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    String description =
        method
            + " "
            + (path.length() > 120 ? path.substring(0, 120) + "..." : path)
            + " ("
            + (body == null ? "no body" : body.length + " bytes")
            + ", "
            + contentType
            + ")";
    HttpRequest request = b.build();
    HttpResponse<String> response;
    try {
      response = exchange(request);
    } catch (java.net.http.HttpTimeoutException e) {
      problems.add("no answer within " + REQUEST_TIMEOUT + ": " + description);
      return new Sent(method, description, 0);
    } catch (java.io.IOException e) {
      problems.add("connection closed without an answer (" + e.getMessage() + "): " + description);
      return new Sent(method, description, 0);
    }
    int status = response.statusCode();
    if (status >= 500 && status != 501 && status != 503 && status != 504) {
      problems.add(status + " for " + description + ": " + response.body());
    }
    if (status >= 400 && !method.equals("HEAD")) {
      String problem = errorShapeProblem(response);
      if (problem != null) {
        problems.add(problem + " for " + description + ": " + status + " " + clip(response));
      }
    }
    return new Sent(method, description + " -> " + status, status);
  }

  /**
   * Sends {@code request}; once more on a new connection when the first attempt lost its connection
   * (the client may have reused one the server had just closed after an error answer).
   */
  private static HttpResponse<String> exchange(HttpRequest request) throws Exception {
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (java.net.http.HttpTimeoutException e) {
      throw e;
    } catch (java.io.IOException e) {
      HttpClient fresh = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      return fresh.send(request, HttpResponse.BodyHandlers.ofString());
    }
  }

  private static String clip(HttpResponse<String> response) {
    String body = response.body();
    return body.length() > 300 ? body.substring(0, 300) + "..." : body;
  }

  /** Null when the answer is the documented error: JSON {@code {"error":{"code","message"}}}. */
  private static String errorShapeProblem(HttpResponse<String> response) {
    String type = response.headers().firstValue("content-type").orElse("");
    if (!type.startsWith("application/json")) {
      return "an error that is not JSON (" + type + ")";
    }
    JsonNode json;
    try {
      json = JSON.readTree(response.body());
    } catch (Exception e) {
      return "an error body that does not parse";
    }
    JsonNode error = json == null ? null : json.path("error");
    if (error == null
        || !error.path("code").isTextual()
        || error.path("code").asText().isBlank()
        || !error.path("message").isTextual()) {
      return "an error not in the documented shape";
    }
    return null;
  }
}
