package dev.foundry.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.testing.ChildJvm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as an operator runs it: a real JVM, configured by environment, stopped by SIGTERM. */
class ServerProcessTest {
  private static final Pattern LISTENING = Pattern.compile("listening on http://([^:]+):(\\d+)");
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void serverAnswersHealthAndReadyAndStopsCleanlyOnSigterm(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    try (ChildJvm server =
        ChildJvm.start(
            Main.class.getName(),
            List.of(),
            Map.of("PORT", "0", "FOUNDRY_DATA_DIR", data.toString()),
            dir)) {
      String line = server.awaitLine(l -> LISTENING.matcher(l).find(), Duration.ofSeconds(60));
      Matcher m = LISTENING.matcher(line);
      assertThat(m.find()).isTrue();
      assertThat(m.group(1)).isEqualTo("127.0.0.1");
      String base = "http://127.0.0.1:" + m.group(2);
      server.awaitLine(l -> l.contains("Foundry ready"), Duration.ofSeconds(30));

      HttpResponse<String> health = get(base + "/v1/health", "req-42");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.headers().firstValue("x-request-id")).contains("req-42");
      assertThat(get(base + "/v1/ready", null).statusCode()).isEqualTo(200);

      HttpResponse<String> missing = get(base + "/v1/nothing-here", null);
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(missing.body()).contains("\"error\"").contains("\"code\":\"not_found\"");
      assertThat(missing.headers().firstValue("x-request-id")).isPresent();

      server.awaitLine(
          l -> l.contains("GET /v1/health 200") && l.contains("req-42"), Duration.ofSeconds(10));
      assertThat(data).isDirectory();

      server.terminate();
      Integer exit = server.waitForExit(Duration.ofSeconds(5));
      assertThat(exit).as("exit after SIGTERM within 5 s\n%s", server.output()).isNotNull();
      assertThat(server.output()).doesNotContain("Exception");
    }
  }

  @Test
  void jsonLogFormatWritesOneJsonObjectPerLine(@TempDir Path dir) throws Exception {
    try (ChildJvm server =
        ChildJvm.start(
            Main.class.getName(),
            List.of(),
            Map.of(
                "PORT", "0", "FOUNDRY_DATA_DIR", dir.resolve("d").toString(), "LOG_FORMAT", "json"),
            dir)) {
      String line = server.awaitLine(l -> l.contains("Foundry ready"), Duration.ofSeconds(60));
      assertThat(line).startsWith("{").endsWith("}").contains("\"message\":");
    }
  }

  @Test
  void missingRequiredSecretStopsTheStartWithOneClearLine(@TempDir Path dir) throws Exception {
    try (ChildJvm server =
        ChildJvm.start(
            Main.class.getName(),
            List.of(),
            Map.of("HOST", "0.0.0.0", "PORT", "0", "FOUNDRY_DATA_DIR", dir.toString()),
            dir)) {
      Integer exit = server.waitForExit(Duration.ofSeconds(60));
      assertThat(exit).isEqualTo(2);
      assertThat(server.output())
          .contains("BETTER_AUTH_SECRET")
          .doesNotContain("Exception")
          .doesNotContain("\tat ");
    }
  }

  private HttpResponse<String> get(String url, String requestId) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (requestId != null) {
      b.header("x-request-id", requestId);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
