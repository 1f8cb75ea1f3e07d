package dev.foundry.backend.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FoundrySettingsTest {

  private static FoundrySettings settings(Map<String, String> env) {
    return FoundrySettings.from(FoundryConfig.load(env, ConfigFactory.empty()));
  }

  @Test
  void embeddedDefaultsStartALoopbackDevServer() {
    FoundrySettings s = settings(Map.of());
    assertThat(s.http().host()).isEqualTo("127.0.0.1");
    assertThat(s.http().port()).isEqualTo(7741);
    assertThat(s.dataDir()).isEqualTo(Path.of("./data").toAbsolutePath().normalize());
    assertThat(s.auth().devAuth()).isTrue();
    assertThat(s.auth().secret()).isEqualTo(FoundrySettings.DEV_AUTH_SECRET);
    assertThat(s.logFormat()).isEqualTo(FoundrySettings.LogFormat.READABLE);
  }

  @Test
  void environmentVariablesOverrideEverySettingTheyName() {
    FoundrySettings s =
        settings(
            Map.of(
                "HOST", "0.0.0.0",
                "PORT", "8080",
                "FOUNDRY_DATA_DIR", "/var/lib/foundry",
                "BETTER_AUTH_SECRET", "s3cret",
                "FOUNDRY_CREDENTIALS_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "APP_URL", "https://foundry.example.com",
                "LOG_FORMAT", "json",
                "FOUNDRY_COMMAND_TIMEOUT", "5s",
                "FOUNDRY_DEV_AUTH", "false",
                "SANDBOX_AGENT_BIN", "/bin/sh"));
    assertThat(s.http().host()).isEqualTo("0.0.0.0");
    assertThat(s.http().port()).isEqualTo(8080);
    assertThat(s.dataDir()).isEqualTo(Path.of("/var/lib/foundry"));
    assertThat(s.auth().secret()).isEqualTo("s3cret");
    assertThat(s.appUrl()).isEqualTo("https://foundry.example.com");
    assertThat(s.logFormat()).isEqualTo(FoundrySettings.LogFormat.JSON);
    assertThat(s.runtime().commandTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.auth().devAuth()).isFalse();
    assertThat(s.sandbox().agentBinary()).isEqualTo(Path.of("/bin/sh"));
  }

  @Test
  void sandboxesAreIsolatedByDefaultAndTheProviderAndSharedPathsAreSettings() {
    FoundrySettings defaults = settings(Map.of());
    assertThat(defaults.sandbox().provider()).isEqualTo("isolated");
    assertThat(defaults.sandbox().isolated()).isTrue();
    assertThat(defaults.sandbox().sharedPaths()).isEmpty();

    FoundrySettings local =
        settings(
            Map.of(
                "FOUNDRY_SANDBOX_PROVIDER", "local", "FOUNDRY_SANDBOX_SHARED_PATHS", "/usr:/tmp"));
    assertThat(local.sandbox().isolated()).isFalse();
    assertThat(local.sandbox().sharedPaths()).containsExactly(Path.of("/usr"), Path.of("/tmp"));
  }

  @Test
  void aPublicBindWithoutASessionSecretFailsNamingTheVariable() {
    assertThatThrownBy(() -> settings(Map.of("HOST", "0.0.0.0")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("BETTER_AUTH_SECRET");
  }

  @Test
  void aPublicBindWithoutACredentialsKeyFailsNamingTheVariable() {
    assertThatThrownBy(() -> settings(Map.of("HOST", "0.0.0.0", "BETTER_AUTH_SECRET", "x")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("FOUNDRY_CREDENTIALS_KEY");
  }

  @Test
  void githubClientIdWithoutItsSecretFailsNamingTheSecret() {
    assertThatThrownBy(() -> settings(Map.of("GITHUB_CLIENT_ID", "Iv1.abc")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("GITHUB_CLIENT_SECRET");
  }

  @Test
  void stripeKeyWithoutWebhookSecretFailsNamingIt() {
    assertThatThrownBy(() -> settings(Map.of("STRIPE_SECRET_KEY", "sk_test_1")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("STRIPE_WEBHOOK_SECRET");
  }

  @Test
  void githubOauthTurnsTheAutomaticDevSignInOff() {
    FoundrySettings s =
        settings(Map.of("GITHUB_CLIENT_ID", "Iv1.abc", "GITHUB_CLIENT_SECRET", "shh"));
    assertThat(s.auth().devAuth()).isFalse();
  }

  @Test
  void badValuesAreRejectedWithTheVariableAndTheValue() {
    assertThatThrownBy(() -> settings(Map.of("PORT", "seventy")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("PORT")
        .hasMessageContaining("seventy");
    assertThatThrownBy(() -> settings(Map.of("LOG_FORMAT", "xml")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("LOG_FORMAT");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_DEV_AUTH", "maybe")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_DEV_AUTH");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_SANDBOX_PROVIDER", "bogus")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_PROVIDER");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_SANDBOX_SHARED_PATHS", "relative/path")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_SHARED_PATHS");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_SANDBOX_SHARED_PATHS", "/no/such/remote")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_SHARED_PATHS");
    assertThatThrownBy(() -> settings(Map.of("SANDBOX_AGENT_BIN", "/no/such/sandbox-agent")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("SANDBOX_AGENT_BIN");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_COMMAND_TIMEOUT", "0s")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_COMMAND_TIMEOUT");
  }
}
