package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser.Answer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST table, the routes served and the OpenAPI document are the same thing. */
class OpenApiDocumentTest {
  @TempDir static Path dir;
  private static ApiServer server;
  private static List<Endpoint> table;
  private static JsonNode doc;

  @BeforeAll
  static void start() {
    server = ApiServer.start(dir);
    table = server.app().restApi().endpoints();
    Answer answer = server.browser().get("/v1/openapi.json");
    assertThat(answer.status()).isEqualTo(200);
    doc = answer.json();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String sample(String path) {
    return path.replace("{org}", "personal-someone")
        .replace("{taskId}", "t1")
        .replace("{sessionId}", "s1")
        .replace("{repoId}", "r1")
        .replace("{processId}", "p1")
        .replace("{provider}", "anthropic");
  }

  @Test
  void everyRowOfTheTableIsServed() {
    for (Endpoint e : table) {
      Answer answer = server.browser().send(e.method(), sample(e.path()), null, null);
      assertThat(answer.text())
          .as("%s %s", e.method(), e.path())
          .doesNotContain("no such route")
          .doesNotContain("method_not_allowed");
      if (e.signedIn()) {
        assertThat(answer.status()).as("%s %s", e.method(), e.path()).isEqualTo(401);
      }
    }
  }

  @Test
  void theDocumentListsExactlyTheTable() {
    assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
    Set<String> documented = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields();
        paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
        Map.Entry<String, JsonNode> op = ops.next();
        documented.add(
            op.getKey().toUpperCase()
                + " "
                + path.getKey()
                + " "
                + op.getValue().path("operationId").asText());
      }
    }
    Set<String> rows = new TreeSet<>();
    Set<String> operationIds = new HashSet<>();
    for (Endpoint e : table) {
      rows.add(e.method() + " " + e.path() + " " + e.operationId());
      assertThat(operationIds.add(e.operationId())).as(e.operationId()).isTrue();
    }
    assertThat(documented).isEqualTo(rows);
  }

  @Test
  void everyOperationDocumentsItsParametersStatusesAndSchemas() {
    for (Endpoint e : table) {
      JsonNode op = doc.path("paths").path(e.path()).path(e.method().toLowerCase());
      assertThat(op.path("summary").asText()).isEqualTo(e.summary());
      JsonNode responses = op.path("responses");
      assertThat(responses.has(String.valueOf(e.status()))).as(e.operationId()).isTrue();
      assertThat(responses.has("500")).isTrue();
      // 401: no session on a signed-in route, or no valid signature on GitHub's webhook.
      assertThat(responses.has("401"))
          .as(e.operationId())
          .isEqualTo(e.signedIn() || e.operationId().equals("githubWebhook"));
      List<String> params = op.path("parameters").findValuesAsText("name");
      assertThat(params).containsAll(e.pathParameters());
      e.query().forEach(q -> assertThat(params).contains(q.name()));
      assertThat(op.has("requestBody")).isEqualTo(e.requestType() != null);
    }
    JsonNode createTask = doc.path("components").path("schemas").path("CreateTask");
    assertThat(createTask.path("required").findValuesAsText("")).isEmpty();
    assertThat(createTask.path("required").toString()).contains("repoId").contains("task");
    assertThat(createTask.path("additionalProperties").asBoolean(true)).isFalse();
    assertThat(createTask.path("properties").has("branchName")).isTrue();
    JsonNode taskStatus =
        doc.path("components")
            .path("schemas")
            .path("WorkspaceTaskDetail")
            .path("properties")
            .path("status");
    assertThat(taskStatus.path("enum").toString()).contains("archived");
  }

  @Test
  void everyReferenceResolves() {
    Set<String> refs = new TreeSet<>();
    collectRefs(doc, refs);
    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      assertThat(ref).startsWith("#/components/");
      JsonNode target = doc.at(ref.substring(1));
      assertThat(target.isMissingNode()).as(ref).isFalse();
    }
  }

  private static void collectRefs(JsonNode node, Set<String> out) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              f -> {
                if (f.getKey().equals("$ref")) {
                  out.add(f.getValue().asText());
                } else {
                  collectRefs(f.getValue(), out);
                }
              });
    } else if (node.isArray()) {
      node.forEach(n -> collectRefs(n, out));
    }
  }
}
