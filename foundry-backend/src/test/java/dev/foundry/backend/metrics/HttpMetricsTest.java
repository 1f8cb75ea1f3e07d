package dev.foundry.backend.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HttpMetricsTest {
  @Test
  void pathsWithoutATemplateKeepOnlyTheApisFixedWords() {
    assertThat(HttpMetrics.template("/v1/organizations/acme/tasks/t-42/sessions/s-1/messages"))
        .isEqualTo("/v1/organizations/{id}/tasks/{id}/sessions/{id}/messages");
    assertThat(HttpMetrics.template("/v1/health")).isEqualTo("/v1/health");
    assertThat(HttpMetrics.template("/")).isEqualTo("/");
    assertThat(HttpMetrics.template("/a/b/c/d/e/f/g/h/i/j/k")).isEqualTo("unmatched");
  }
}
