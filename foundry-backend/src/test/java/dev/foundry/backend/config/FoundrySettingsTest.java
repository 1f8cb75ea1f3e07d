package dev.foundry.backend.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
            Map.ofEntries(
                Map.entry("HOST", "0.0.0.0"),
                Map.entry("PORT", "8080"),
                Map.entry("FOUNDRY_DATA_DIR", "/var/lib/foundry"),
                Map.entry("BETTER_AUTH_SECRET", "s3cret"),
                Map.entry(
                    "FOUNDRY_CREDENTIALS_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                Map.entry("APP_URL", "https://foundry.example.com"),
                Map.entry("LOG_FORMAT", "json"),
                Map.entry("FOUNDRY_COMMAND_TIMEOUT", "5s"),
                Map.entry("FOUNDRY_DEV_AUTH", "false"),
                Map.entry("SANDBOX_AGENT_BIN", "/bin/sh"),
                Map.entry("FOUNDRY_SANDBOX_ROOT", "/srv/foundry-sandboxes"),
                Map.entry("FOUNDRY_ALLOW_UNISOLATED_SANDBOXES", "true")));
    assertThat(s.http().host()).isEqualTo("0.0.0.0");
    assertThat(s.http().port()).isEqualTo(8080);
    assertThat(s.dataDir()).isEqualTo(Path.of("/var/lib/foundry"));
    assertThat(s.auth().secret()).isEqualTo("s3cret");
    assertThat(s.appUrl()).isEqualTo("https://foundry.example.com");
    assertThat(s.logFormat()).isEqualTo(FoundrySettings.LogFormat.JSON);
    assertThat(s.runtime().commandTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.auth().devAuth()).isFalse();
    assertThat(s.sandbox().agentBinary()).isEqualTo(Path.of("/bin/sh"));
    assertThat(s.sandbox().root()).isEqualTo(Path.of("/srv/foundry-sandboxes"));
    assertThat(s.sandbox().allowUnisolated()).isTrue();
  }

  @Test
  void githubDefaultsToGithubComAndTakesAnEnterpriseServer() {
    FoundrySettings.Github github = settings(Map.of()).github();
    assertThat(github.serverUrl()).isEqualTo("https://github.com");
    assertThat(github.apiUrl()).isEqualTo("https://api.github.com");
    assertThat(github.signInTimeout()).isEqualTo(java.time.Duration.ofMinutes(10));
    FoundrySettings.Github ghes =
        settings(
                Map.of(
                    "GITHUB_SERVER_URL", "https://ghe.example.com/",
                    "GITHUB_API_URL", "https://ghe.example.com/api/v3",
                    "FOUNDRY_GITHUB_RATE_LIMIT_MAX_WAIT", "0s"))
            .github();
    assertThat(ghes.serverUrl()).isEqualTo("https://ghe.example.com");
    assertThat(ghes.apiUrl()).isEqualTo("https://ghe.example.com/api/v3");
    assertThat(ghes.rateLimitMaxWait()).isZero();
    assertThatThrownBy(() -> settings(Map.of("GITHUB_SERVER_URL", "ghe.example.com")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("GITHUB_SERVER_URL");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_GITHUB_SIGN_IN_TIMEOUT", "0s")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_GITHUB_SIGN_IN_TIMEOUT");
    assertThat(settings(Map.of("GITHUB_CLIENT_SECRET", "hidden")).github().toString())
        .doesNotContain("hidden");
  }

  @Test
  void sandboxesLiveNextToTheDataDirectoryByDefaultAndNeverInsideIt() {
    assertThat(settings(Map.of("FOUNDRY_DATA_DIR", "/var/lib/foundry/data")).sandbox().root())
        .isEqualTo(Path.of("/var/lib/foundry/data-sandboxes"));
    assertThat(settings(Map.of()).sandbox().root())
        .isEqualTo(Path.of("./data-sandboxes").toAbsolutePath().normalize());
    for (String inside : new String[] {"/var/lib/foundry/sandboxes", "/var/lib/foundry", "/"}) {
      assertThatThrownBy(
              () ->
                  settings(
                      Map.of(
                          "FOUNDRY_DATA_DIR", "/var/lib/foundry", "FOUNDRY_SANDBOX_ROOT", inside)))
          .as(inside)
          .isInstanceOf(InvalidSettingException.class)
          .hasMessageContaining("FOUNDRY_SANDBOX_ROOT")
          .hasMessageContaining("outside the data directory");
    }
  }

  @Test
  void theUnisolatedLocalProviderIsRefusedWithoutDevSignInUnlessTheOperatorAllowsIt() {
    assertThatThrownBy(
            () ->
                settings(
                    Map.of(
                        "FOUNDRY_DEV_AUTH", "false",
                        "SANDBOX_AGENT_BIN", "/bin/sh",
                        "FOUNDRY_SANDBOX_PROVIDER", "local")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("FOUNDRY_ALLOW_UNISOLATED_SANDBOXES=true")
        .hasMessageContaining("development only");
    assertThat(
            settings(
                    Map.of(
                        "FOUNDRY_DEV_AUTH", "false",
                        "SANDBOX_AGENT_BIN", "/bin/sh",
                        "FOUNDRY_SANDBOX_PROVIDER", "local",
                        "FOUNDRY_ALLOW_UNISOLATED_SANDBOXES", "TRUE"))
                .sandbox()
                .agentBinary())
        .isEqualTo(Path.of("/bin/sh"));
    // The isolated provider (the default) needs no allowing.
    assertThat(
            settings(Map.of("FOUNDRY_DEV_AUTH", "false", "SANDBOX_AGENT_BIN", "/bin/sh"))
                .sandbox()
                .isolated())
        .isTrue();
    // With dev sign-in, or with no sandboxes at all, nothing needs allowing.
    assertThat(settings(Map.of("SANDBOX_AGENT_BIN", "/bin/sh")).sandbox().allowUnisolated())
        .isFalse();
    assertThat(settings(Map.of("FOUNDRY_DEV_AUTH", "false")).sandbox().agentBinary()).isNull();
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_ALLOW_UNISOLATED_SANDBOXES", "yes")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_ALLOW_UNISOLATED_SANDBOXES");
  }

  @Test
  void theJournalUrlTakesPostgresqlOnlyAndNeverShowsTheUrlsSecrets() {
    settings(Map.of("FOUNDRY_JOURNAL_URL", "jdbc:postgresql://db.internal:5432/foundry"));
    assertThatThrownBy(
            () ->
                settings(
                    Map.of("FOUNDRY_JOURNAL_URL", "jdbc:mysql://db.internal/foundry?password=pw")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_JOURNAL_URL")
        .hasMessageContaining("jdbc:postgresql://host:port/db")
        .hasMessageNotContaining("password=pw");
    assertThatThrownBy(
            () ->
                settings(
                    Map.of(
                        "FOUNDRY_JOURNAL_URL",
                        "jdbc:postgresql://db/foundry",
                        "FOUNDRY_JOURNAL_MAX_CONNECTIONS",
                        "0")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_JOURNAL_MAX_CONNECTIONS");
  }

  @Test
  void clusterModeIsOffByDefaultAndNeedsASharedJournalAndReachableSandboxes() {
    assertThat(settings(Map.of()).cluster()).isNull();
    assertThat(
            FoundryConfig.load(Map.of(), ConfigFactory.empty()).getString("pekko.actor.provider"))
        .isEqualTo("local");

    Map<String, String> cluster =
        Map.of(
            "FOUNDRY_CLUSTER_SEED_NODES", "10.0.0.1:7355, 10.0.0.2:7355",
            "FOUNDRY_CLUSTER_HOST", "10.0.0.2",
            "FOUNDRY_JOURNAL_URL", "jdbc:postgresql://db/foundry");
    FoundrySettings.Cluster on = settings(cluster).cluster();
    assertThat(on.seedNodes()).containsExactly("10.0.0.1:7355", "10.0.0.2:7355");
    assertThat(on.host()).isEqualTo("10.0.0.2");
    assertThat(on.port()).isEqualTo(7355);
    assertThat(on.downAfter()).isEqualTo(java.time.Duration.ofSeconds(20));
    var config = FoundryConfig.load(cluster, ConfigFactory.empty());
    assertThat(config.getString("pekko.actor.provider")).isEqualTo("cluster");
    assertThat(config.getStringList("pekko.cluster.seed-nodes"))
        .containsExactly("pekko://foundry@10.0.0.1:7355", "pekko://foundry@10.0.0.2:7355");
    assertThat(config.getString("pekko.remote.artery.canonical.hostname")).isEqualTo("10.0.0.2");
    assertThat(config.getString("pekko.cluster.split-brain-resolver.active-strategy"))
        .isEqualTo("keep-majority");

    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_CLUSTER_SEED_NODES", "10.0.0.1:7355")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("FOUNDRY_JOURNAL_URL");
    assertThatThrownBy(
            () ->
                settings(
                    Map.of(
                        "FOUNDRY_CLUSTER_SEED_NODES", "10.0.0.1",
                        "FOUNDRY_JOURNAL_URL", "jdbc:postgresql://db/foundry")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_CLUSTER_SEED_NODES");
    assertThatThrownBy(
            () ->
                settings(
                    Map.of(
                        "FOUNDRY_CLUSTER_SEED_NODES", "10.0.0.1:7355",
                        "FOUNDRY_JOURNAL_URL", "jdbc:postgresql://db/foundry",
                        "SANDBOX_AGENT_BIN", "/bin/true")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_PROVIDER");
  }

  @Test
  void theUnlistDelayHasADefaultAndRefusesNonsense() {
    assertThat(settings(Map.of()).runtime().unlistAfter()).isEqualTo(Duration.ofSeconds(2));
    assertThat(settings(Map.of("FOUNDRY_UNLIST_AFTER", "200ms")).runtime().unlistAfter())
        .isEqualTo(Duration.ofMillis(200));
    for (String bad : List.of("0s", "-1s", "soon")) {
      assertThatThrownBy(() -> settings(Map.of("FOUNDRY_UNLIST_AFTER", bad)))
          .isInstanceOf(InvalidSettingException.class)
          .hasMessageContaining("FOUNDRY_UNLIST_AFTER");
    }
  }

  @Test
  void backupEveryAndTheTranscriptBatchWindowHaveDefaultsAndRefuseNonsense() {
    assertThat(settings(Map.of()).runtime().backupEvery()).isEqualTo(5000);
    assertThat(settings(Map.of("FOUNDRY_BACKUP_EVERY", "100")).runtime().backupEvery())
        .isEqualTo(100);
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_BACKUP_EVERY", "5")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_BACKUP_EVERY");
    settings(Map.of("FOUNDRY_TRANSCRIPT_BATCH_WINDOW", "0"));
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_TRANSCRIPT_BATCH_WINDOW", "-5ms")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_TRANSCRIPT_BATCH_WINDOW");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_TRANSCRIPT_BATCH_WINDOW", "soon")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_TRANSCRIPT_BATCH_WINDOW");
  }

  @Test
  void perSandboxBoundsHaveDefaultsTakeSizesAndRefuseNonsense() {
    assertThat(settings(Map.of()).sandboxLimits().maxProcesses()).isEqualTo(1024);
    assertThat(settings(Map.of()).sandboxLimits().maxMemoryBytes()).isEqualTo(4L << 30);
    var set =
        settings(Map.of("FOUNDRY_SANDBOX_MAX_PROCESSES", "0", "FOUNDRY_SANDBOX_MAX_MEMORY", "512m"))
            .sandboxLimits();
    assertThat(set.maxProcesses()).isZero();
    assertThat(set.maxMemoryBytes()).isEqualTo(512L << 20);
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_SANDBOX_MAX_MEMORY", "lots")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_MAX_MEMORY");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_SANDBOX_MAX_PROCESSES", "-1")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_MAX_PROCESSES");
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
  void theNetworkIsFullByDefaultAndNoneOnlyForTheIsolatedProvider() {
    assertThat(settings(Map.of()).sandbox().network()).isEqualTo("full");
    assertThat(settings(Map.of()).sandbox().offline()).isFalse();
    FoundrySettings offline = settings(Map.of("FOUNDRY_SANDBOX_NETWORK", " None "));
    assertThat(offline.sandbox().network()).isEqualTo("none");
    assertThat(offline.sandbox().offline()).isTrue();
    assertThat(
            settings(Map.of("FOUNDRY_SANDBOX_PROVIDER", "local", "FOUNDRY_SANDBOX_NETWORK", "full"))
                .sandbox()
                .offline())
        .isFalse();

    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_SANDBOX_NETWORK", "loopback")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_NETWORK")
        .hasMessageContaining("full or none");
    assertThatThrownBy(
            () ->
                settings(
                    Map.of("FOUNDRY_SANDBOX_PROVIDER", "local", "FOUNDRY_SANDBOX_NETWORK", "none")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_NETWORK")
        .hasMessageContaining("only the isolated provider")
        .hasMessageContaining("host's network");
    assertThatThrownBy(
            () ->
                settings(
                    Map.of(
                        "FOUNDRY_SANDBOX_PROVIDER", "remote",
                        "FOUNDRY_SANDBOX_REMOTE_URL", "http://sandbox-agent:2468",
                        "FOUNDRY_SANDBOX_REMOTE_TOKEN", "s3cret-token",
                        "FOUNDRY_SANDBOX_NETWORK", "none")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("only the isolated provider")
        .hasMessageContaining("remote server");
  }

  @Test
  void theRemoteProviderNeedsAUrlAndATokenButNoBinaryAndNeverEchoesTheToken() {
    FoundrySettings remote =
        settings(
            Map.of(
                "FOUNDRY_DEV_AUTH", "false",
                "FOUNDRY_SANDBOX_PROVIDER", "Remote",
                "FOUNDRY_SANDBOX_REMOTE_URL", "http://sandbox-agent:2468",
                "FOUNDRY_SANDBOX_REMOTE_TOKEN", "s3cret-token"));
    assertThat(remote.sandbox().provider()).isEqualTo("remote");
    assertThat(remote.sandbox().agentBinary()).isNull();
    assertThat(remote.sandbox().enabled()).isTrue();
    assertThat(remote.sandbox().remote().url().toString()).isEqualTo("http://sandbox-agent:2468");
    assertThat(remote.sandbox().remote().token()).isEqualTo("s3cret-token");
    assertThat(remote.sandbox().remote().root()).isEqualTo("/work/sandboxes");
    assertThat(remote.sandbox().toString()).doesNotContain("s3cret-token");
    assertThat(settings(Map.of()).sandbox().enabled()).isFalse();
    assertThat(settings(Map.of()).sandbox().remote()).isNull();

    Map<String, String> base =
        Map.of(
            "FOUNDRY_SANDBOX_PROVIDER", "remote",
            "FOUNDRY_SANDBOX_REMOTE_URL", "https://sandboxes.example.com",
            "FOUNDRY_SANDBOX_REMOTE_TOKEN", "s3cret-token");
    assertThat(
            settings(with(base, "FOUNDRY_SANDBOX_REMOTE_ROOT", "/srv/foundry"))
                .sandbox()
                .remote()
                .root())
        .isEqualTo("/srv/foundry");
    assertThatThrownBy(() -> settings(with(base, "FOUNDRY_SANDBOX_REMOTE_URL", "")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_REMOTE_URL");
    for (String bad :
        List.of("sandbox-agent:2468", "ftp://host", "http://", "http://h/?q=1", "not a url")) {
      assertThatThrownBy(() -> settings(with(base, "FOUNDRY_SANDBOX_REMOTE_URL", bad)))
          .as(bad)
          .isInstanceOf(InvalidSettingException.class)
          .hasMessageContaining("FOUNDRY_SANDBOX_REMOTE_URL");
    }
    assertThatThrownBy(
            () -> settings(with(base, "FOUNDRY_SANDBOX_REMOTE_URL", "http://u:pw-in-url@h:1")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageNotContaining("pw-in-url");
    assertThatThrownBy(() -> settings(with(base, "FOUNDRY_SANDBOX_REMOTE_TOKEN", " ")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("FOUNDRY_SANDBOX_REMOTE_TOKEN");
    for (String bad : List.of("relative", "/", "/a/", "/a/../b", "/a b")) {
      assertThatThrownBy(() -> settings(with(base, "FOUNDRY_SANDBOX_REMOTE_ROOT", bad)))
          .as(bad)
          .isInstanceOf(InvalidSettingException.class)
          .hasMessageContaining("FOUNDRY_SANDBOX_REMOTE_ROOT")
          .hasMessageNotContaining("s3cret-token");
    }
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_SANDBOX_PROVIDER", "docker")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("isolated, local or remote");
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> env = new java.util.HashMap<>(base);
    env.put(key, value);
    return env;
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
  void stripeKeyWithoutTheTeamPriceFailsNamingIt() {
    assertThatThrownBy(
            () ->
                settings(
                    Map.of("STRIPE_SECRET_KEY", "sk_test_1", "STRIPE_WEBHOOK_SECRET", "whsec_1")))
        .isInstanceOf(MissingSettingException.class)
        .hasMessageContaining("STRIPE_PRICE_TEAM");
  }

  @Test
  void stripeApiBaseDefaultsToStripeAndMustBeAnHttpUrl() {
    assertThat(settings(Map.of()).stripe().apiBase()).isEqualTo("https://api.stripe.com");
    assertThat(settings(Map.of("STRIPE_API_BASE", "http://127.0.0.1:12111/")).stripe().apiBase())
        .isEqualTo("http://127.0.0.1:12111");
    assertThatThrownBy(() -> settings(Map.of("STRIPE_API_BASE", "api.stripe.com")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("STRIPE_API_BASE");
  }

  @Test
  void githubOauthTurnsTheAutomaticDevSignInOff() {
    FoundrySettings s =
        settings(Map.of("GITHUB_CLIENT_ID", "Iv1.abc", "GITHUB_CLIENT_SECRET", "shh"));
    assertThat(s.auth().devAuth()).isFalse();
  }

  @Test
  void automaticDevSignInNeedsALoopbackBindAndLoopbackPublicUrls() {
    FoundrySettings local = settings(Map.of());
    assertThat(local.auth().devAuth()).isTrue();
    assertThat(local.auth().devAuthReason()).contains("loopback");
    assertThat(settings(Map.of("APP_URL", "http://127.0.0.1:4173")).auth().devAuth()).isTrue();
    assertThat(settings(Map.of("BETTER_AUTH_URL", "http://[::1]:7741")).auth().devAuth()).isTrue();

    // nginx in front of 127.0.0.1: the bind is loopback, the URLs are not.
    FoundrySettings proxied = settings(Map.of("APP_URL", "https://foundry.example.com"));
    assertThat(proxied.auth().devAuth()).isFalse();
    assertThat(proxied.auth().devAuthReason()).contains("APP_URL");
    FoundrySettings api = settings(Map.of("BETTER_AUTH_URL", "https://api.example.com"));
    assertThat(api.auth().devAuth()).isFalse();
    assertThat(api.auth().devAuthReason()).contains("BETTER_AUTH_URL");
    // A name that merely resolves to loopback is not trusted (DNS says what it likes).
    assertThat(settings(Map.of("APP_URL", "http://localtest.me:4173")).auth().devAuth()).isFalse();

    FoundrySettings forced =
        settings(Map.of("APP_URL", "https://foundry.example.com", "FOUNDRY_DEV_AUTH", "TRUE"));
    assertThat(forced.auth().devAuth()).isTrue();
    assertThat(forced.auth().devAuthReason()).isEqualTo("FOUNDRY_DEV_AUTH=true");
  }

  @Test
  void allowedHostsAndOriginsAreCommaListsChecked() {
    FoundrySettings s =
        settings(
            Map.of(
                "FOUNDRY_ALLOWED_HOSTS", " Foundry.Internal:8080, 10.0.0.7 ,[::1]:7741,",
                "FOUNDRY_ALLOWED_ORIGINS", "https://admin.example.com, http://localhost:3000"));
    assertThat(s.http().allowedHosts()).containsExactly("foundry.internal", "10.0.0.7", "[::1]");
    assertThat(s.http().allowedOrigins())
        .containsExactly("https://admin.example.com", "http://localhost:3000");
    assertThat(settings(Map.of()).http().allowedHosts()).isEmpty();

    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_ALLOWED_HOSTS", "*.example.com")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_ALLOWED_HOSTS");
    assertThatThrownBy(() -> settings(Map.of("FOUNDRY_ALLOWED_ORIGINS", "admin.example.com")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("FOUNDRY_ALLOWED_ORIGINS");
    assertThatThrownBy(
            () -> settings(Map.of("FOUNDRY_ALLOWED_ORIGINS", "https://admin.example.com/app")))
        .isInstanceOf(InvalidSettingException.class);
    assertThatThrownBy(() -> settings(Map.of("APP_URL", "foundry.example.com")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("APP_URL");
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
