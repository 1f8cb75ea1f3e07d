package dev.foundry.backend.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitHubClientTest {
  @TempDir Path dir;
  private FakeGitHub github;
  private ExecutorService io;
  private GitHubClient client;
  private FakeGitHub.User alice;

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
    alice = github.user("alice", "alice@example.com");
  }

  @AfterEach
  void stop() {
    github.close();
    io.shutdownNow();
  }

  @Test
  void followsLinkHeadersThroughEveryPage() throws Exception {
    github.itemsPerPage(3);
    List<JsonNode> repos =
        client.getAll("/user/repos?per_page=3", alice.token).toCompletableFuture().get();
    assertThat(repos)
        .extracting(r -> r.path("full_name").asText())
        .containsExactly(
            "alice/repo-1",
            "alice/repo-2",
            "alice/repo-3",
            "alice/repo-4",
            "alice/repo-5",
            "alice/repo-6",
            "alice/repo-7");
    assertThat(github.count("GET", "/api/v3/user/repos")).isEqualTo(3);
  }

  @Test
  void conditionalRequestsAnswerTheCachedBodyOn304() throws Exception {
    JsonNode first = client.get("/user", alice.token).toCompletableFuture().get();
    JsonNode second = client.get("/user", alice.token).toCompletableFuture().get();
    assertThat(second).isEqualTo(first);
    assertThat(second.path("login").asText()).isEqualTo("alice");
    assertThat(github.notModifiedAnswers()).isEqualTo(1);
    assertThat(github.seen().get(github.seen().size() - 1).headers()).containsKey("if-none-match");
  }

  @Test
  void primaryRateLimitIsWaitedOutThenRetried() throws Exception {
    github.rateLimitNext("primary");
    JsonNode user = client.get("/user", alice.token).toCompletableFuture().get();
    assertThat(user.path("login").asText()).isEqualTo("alice");
    assertThat(github.count("GET", "/api/v3/user")).isEqualTo(2);
  }

  @Test
  void secondaryRateLimitHonoursRetryAfter() throws Exception {
    github.rateLimitNext("secondary");
    github.rateLimitNext("secondary");
    JsonNode user = client.get("/user", alice.token).toCompletableFuture().get();
    assertThat(user.path("id").asLong()).isEqualTo(alice.id);
    assertThat(github.count("GET", "/api/v3/user")).isEqualTo(3);
  }

  @Test
  void aRateLimitLongerThanTheBoundFailsNamingIt() {
    GitHubClient impatient =
        new GitHubClient(
            GitHubClient.httpClient(Duration.ofSeconds(5), io),
            URI.create(github.apiUrl()),
            Duration.ofSeconds(10),
            Duration.ZERO,
            Clock.systemUTC(),
            io);
    github.rateLimitNext("secondary");
    assertThatThrownBy(() -> impatient.get("/user", alice.token).toCompletableFuture().join())
        .hasCauseInstanceOf(GitHubException.class)
        .hasMessageContaining("429")
        .hasMessageContaining("secondary rate limit")
        .satisfies(e -> assertThat(((GitHubException) e.getCause()).rateLimited()).isTrue());
    // A rate-limited list is a failure, never an empty list (no membership is lost to it).
    github.rateLimitNext("secondary");
    assertThatThrownBy(
            () ->
                new GitHubAccounts(impatient).memberships(alice.token).toCompletableFuture().join())
        .hasMessageContaining("rate limit");
  }

  @Test
  void errorsNameTheRequestAndWhatGitHubSaid() {
    assertThatThrownBy(() -> client.get("/user", "gho_revoked").toCompletableFuture().join())
        .hasCauseInstanceOf(GitHubException.class)
        .hasMessageContaining("GET /api/v3/user answered 401: Bad credentials")
        .hasMessageNotContaining("gho_revoked");
  }

  @Test
  void anUnreachableGitHubIsAClearFailure() {
    github.close();
    assertThatThrownBy(() -> client.get("/user", alice.token).toCompletableFuture().join())
        .hasCauseInstanceOf(GitHubException.class)
        .hasMessageContaining("GitHub unreachable");
  }
}
