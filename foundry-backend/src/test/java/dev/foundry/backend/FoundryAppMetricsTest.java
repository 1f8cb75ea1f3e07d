package dev.foundry.backend;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.shared.app.FoundryOrganizationMember;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wired process: commands of its real actors show up at GET /metrics. */
class FoundryAppMetricsTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void commandsOfTheRuntimeAndTheRealtimeRouteAreMeasured(@TempDir Path dir) throws Exception {
    Config config =
        FoundryConfig.load(
            Map.of(),
            ConfigFactory.parseMap(
                Map.of(
                    "foundry.data-dir", dir.resolve("data").toString(), "foundry.http.port", 0)));
    FoundryApp app = FoundryApp.start(config, FoundrySettings.from(config));
    try {
      await(
          app.runtime()
              .getOrCreate(
                  OrganizationProtocol.TYPE,
                  OrganizationProtocol.key(OrganizationIds.personal("metrics")))
              .ask(
                  new OrganizationProtocol.InitializeOrganization(
                      "personal",
                      "metrics",
                      "Personal metrics",
                      new FoundryOrganizationMember(
                          "u1", "Owner", "owner@example.com", "owner", "active"))));
      String base = "http://127.0.0.1:" + app.port();

      // Until cookie sessions land, nobody is signed in: the socket refuses before upgrading.
      HttpResponse<String> realtime = get(base + "/v1/realtime");
      assertThat(realtime.statusCode()).isEqualTo(401);

      HttpResponse<String> metrics = get(base + "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
      assertThat(metrics.body())
          .contains("foundry_command_duration_seconds_count{kind=\"organization\"")
          .contains("outcome=\"succeeded\"")
          .contains("foundry_command_queue_depth_count{kind=\"organization\"")
          .contains("foundry_actors_active")
          .contains("foundry_realtime_connections")
          .contains("route=\"/v1/realtime\",status=\"4xx\"")
          .contains("jvm_memory_used_bytes");
    } finally {
      app.stop(Duration.ofSeconds(30));
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
