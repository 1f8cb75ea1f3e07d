package dev.foundry.backend.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AppOriginTest {
  @Test
  void originIsComparedAsBrowsersSerializeIt() {
    AppOrigin app = AppOrigin.of("https://App.Example.com:443/some/path");
    assertThat(app.value()).isEqualTo("https://app.example.com");
    assertThat(app.matches("https://app.example.com")).isTrue();
    assertThat(app.matches("https://app.example.com:443")).isTrue();
    assertThat(app.matches("http://app.example.com")).isFalse();
    assertThat(app.matches("https://app.example.com.evil.test")).isFalse();
    assertThat(app.matches("null")).isFalse();
    assertThat(AppOrigin.of("http://localhost:4173").matches("http://localhost:4173")).isTrue();
    assertThat(AppOrigin.of("http://localhost:4173").matches("http://localhost:5173")).isFalse();
  }
}
