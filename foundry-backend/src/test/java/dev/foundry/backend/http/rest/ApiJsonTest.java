package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.rest.RequestBodies.CreateTask;
import dev.foundry.backend.http.rest.RequestBodies.UpdateSession;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The strict request reader: nothing malformed, mistyped or unknown gets through. */
class ApiJsonTest {
  private static <T> T read(String json, Class<T> type) {
    return ApiJson.read(json.getBytes(StandardCharsets.UTF_8), type);
  }

  private static String code(String json, Class<?> type) {
    try {
      read(json, type);
      return "accepted";
    } catch (ApiException e) {
      return e.error().status().intValue() + " " + e.error().code();
    }
  }

  @Test
  void aValidBodyBindsWithOptionalFieldsLeftNull() {
    CreateTask t = read("{\"repoId\":\"r1\",\"task\":\"do it\"}", CreateTask.class);
    assertThat(t).isEqualTo(new CreateTask("r1", "do it", null, null, null));
    assertThat(read("", UpdateSession.class)).isEqualTo(new UpdateSession(null, null, null, null));
  }

  @Test
  void structuralMistakesAre400s() {
    assertThat(code("{", CreateTask.class)).isEqualTo("400 malformed_json");
    assertThat(code("{\"repoId\":\"r\",\"task\":\"t\"} {}", CreateTask.class))
        .isEqualTo("400 malformed_json");
    assertThat(code("{\"repoId\":\"r\",\"repoId\":\"s\",\"task\":\"t\"}", CreateTask.class))
        .isEqualTo("400 malformed_json");
    assertThat(code("[]", CreateTask.class)).isEqualTo("400 invalid_body");
    assertThat(code("null", CreateTask.class)).isEqualTo("400 invalid_body");
    assertThat(code("\"x\"", CreateTask.class)).isEqualTo("400 invalid_body");
    assertThat(code("{\"task\":\"t\"}", CreateTask.class)).isEqualTo("400 missing_field");
    assertThat(code("{\"repoId\":null,\"task\":\"t\"}", CreateTask.class))
        .isEqualTo("400 missing_field");
    assertThat(code("{\"repoId\":\"r\",\"task\":\"t\",\"extra\":1}", CreateTask.class))
        .isEqualTo("400 unknown_field");
    assertThat(code("{\"draft\":{\"text\":\"x\",\"more\":1}}", UpdateSession.class))
        .isEqualTo("400 unknown_field");
  }

  @Test
  void noTypeIsCoerced() {
    assertThat(code("{\"repoId\":1,\"task\":\"t\"}", CreateTask.class))
        .isEqualTo("400 invalid_field");
    assertThat(code("{\"repoId\":true,\"task\":\"t\"}", CreateTask.class))
        .isEqualTo("400 invalid_field");
    assertThat(code("{\"repoId\":{},\"task\":\"t\"}", CreateTask.class))
        .isEqualTo("400 invalid_field");
    assertThat(code("{\"unread\":\"true\"}", UpdateSession.class)).isEqualTo("400 invalid_field");
    assertThat(code("{\"unread\":1}", UpdateSession.class)).isEqualTo("400 invalid_field");
    assertThat(code("{\"draft\":\"text\"}", UpdateSession.class)).isEqualTo("400 invalid_field");
    assertThat(
            code(
                "{\"draft\":{\"text\":\"x\",\"attachments\":[{\"id\":\"a\",\"filePath\":\"f\","
                    + "\"lineNumber\":\"3\",\"lineContent\":\"\"}]}}",
                UpdateSession.class))
        .isEqualTo("400 invalid_field");
    assertThat(
            code(
                "{\"draft\":{\"text\":\"x\",\"attachments\":[{\"id\":\"a\",\"filePath\":\"f\","
                    + "\"lineNumber\":1.5,\"lineContent\":\"\"}]}}",
                UpdateSession.class))
        .isEqualTo("400 invalid_field");
  }

  @Test
  void wellFormedButUnusableValuesAre422s() {
    assertThat(code("{\"repoId\":\"r\",\"task\":\"\"}", CreateTask.class))
        .isEqualTo("422 invalid_task");
    assertThat(code("{\"repoId\":\"../x\",\"task\":\"t\"}", CreateTask.class))
        .isEqualTo("422 invalid_repo_id");
    assertThat(code("{\"title\":\"" + "x".repeat(201) + "\"}", UpdateSession.class))
        .isEqualTo("422 invalid_title");
    assertThatThrownBy(() -> read("{\"model\":\"a b\"}", UpdateSession.class))
        .isInstanceOf(ApiException.class);
  }
}
