package dev.foundry.backend.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.interfaces.DecodedJWT;
import dev.foundry.backend.github.GitHubAppAuth.InstallationToken;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitHubAppAuthTest {
  @TempDir Path dir;
  private FakeGitHub github;
  private ExecutorService io;
  private GitHubClient client;
  private final Clock clock = Clock.systemUTC();

  @BeforeEach
  void start() throws Exception {
    github = new FakeGitHub(dir);
    io = Executors.newFixedThreadPool(2);
    client =
        new GitHubClient(
            GitHubClient.httpClient(Duration.ofSeconds(5), io),
            URI.create(github.apiUrl()),
            Duration.ofSeconds(10),
            Duration.ofSeconds(30),
            Clock.systemUTC(),
            io);
  }

  @AfterEach
  void stop() {
    github.close();
    io.shutdownNow();
  }

  @Test
  void jwtIsRs256IssuedByTheAppAndLivesAtMostTenMinutes() throws Exception {
    for (String pem : new String[] {github.pkcs8Pem(), github.pkcs1Pem()}) {
      GitHubAppAuth app = new GitHubAppAuth(github.appId, pem, client, Clock.systemUTC());
      DecodedJWT jwt = github.verifyAppJwt(app.jwt());
      assertThat(jwt.getAlgorithm()).isEqualTo("RS256");
      assertThat(jwt.getIssuer()).isEqualTo(github.appId);
      assertThat(jwt.getIssuedAtAsInstant()).isBefore(Instant.now());
      assertThat(Duration.between(jwt.getIssuedAtAsInstant(), jwt.getExpiresAtAsInstant()))
          .isLessThanOrEqualTo(Duration.ofMinutes(10));
    }
    assertThat(github.pkcs1Pem()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(github.pkcs8Pem()).startsWith("-----BEGIN PRIVATE KEY-----");
  }

  @Test
  void aKeyThatIsNotPemIsRefusedClearly() {
    assertThatThrownBy(() -> new GitHubAppAuth("1", "not a key", client, clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GITHUB_APP_PRIVATE_KEY");
  }

  @Test
  void installationTokensAreCachedUntilShortlyBeforeTheyExpire() throws Exception {
    long installation = github.install("acme", "Organization");
    GitHubAppAuth app = new GitHubAppAuth(github.appId, github.pkcs8Pem(), client, clock);
    github.installationTokenLifetime(3600);
    InstallationToken first = app.installationToken(installation).toCompletableFuture().get();
    InstallationToken again = app.installationToken(installation).toCompletableFuture().get();
    assertThat(again).isSameAs(first);
    assertThat(github.installationTokensIssued()).isEqualTo(1);
    assertThat(first.toString()).doesNotContain(first.token());

    // A token with less than 5 minutes left is not used again: each use asks for a new one.
    long other = github.install("globex", "Organization");
    github.installationTokenLifetime(290);
    InstallationToken shortLived = app.installationToken(other).toCompletableFuture().get();
    InstallationToken renewed = app.installationToken(other).toCompletableFuture().get();
    assertThat(renewed.token()).isNotEqualTo(shortLived.token());
    assertThat(github.installationTokensIssued()).isEqualTo(3);
    // The first installation's token is still the cached one.
    assertThat(app.installationToken(installation).toCompletableFuture().get()).isSameAs(first);
  }

  @Test
  void installationsNameTheirAccountKind() throws Exception {
    github.install("acme", "Organization");
    github.install("bob", "User");
    GitHubAppAuth app = new GitHubAppAuth(github.appId, github.pkcs1Pem(), client, clock);
    assertThat(app.installations().toCompletableFuture().get())
        .extracting(GitHubAppAuth.Installation::accountLogin, GitHubAppAuth.Installation::personal)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("acme", false),
            org.assertj.core.groups.Tuple.tuple("bob", true));
  }

  @Test
  void aFailedTokenRequestIsNotCached() {
    GitHubAppAuth app = new GitHubAppAuth(github.appId, github.pkcs8Pem(), client, clock);
    assertThatThrownBy(() -> app.installationToken(999).toCompletableFuture().join())
        .hasMessageContaining("404");
    long id = github.install("acme", "Organization");
    assertThat(app.installationToken(id).toCompletableFuture().join().token()).startsWith("ghs_");
  }
}
