package dev.foundry.backend.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.github.GitHubAppAuth.Installation;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * What sign-in and membership sync read about a user with their own token: the profile, the primary
 * e-mail, the organizations they are an active member of (with their role) and the app's
 * installations they can see.
 */
public final class GitHubAccounts {

  /** The signed-in GitHub user; {@code email} is their primary e-mail. */
  public record Viewer(long id, String login, String name, String avatarUrl, String email) {}

  /** An active membership: the organization and the user's role there ({@code admin|member}). */
  public record Membership(long organizationId, String organizationLogin, String role) {}

  private final GitHubClient client;

  public GitHubAccounts(GitHubClient client) {
    this.client = client;
  }

  public GitHubClient client() {
    return client;
  }

  /** {@code GET /user} and {@code GET /user/emails} (primary, verified). */
  public CompletionStage<Viewer> viewer(String token) {
    return client
        .get("/user", token)
        .thenCompose(
            user ->
                orEmpty(client.getAll("/user/emails?per_page=100", token))
                    .thenApply(emails -> viewer(user, emails)));
  }

  private static Viewer viewer(JsonNode user, List<JsonNode> emails) {
    String login = user.path("login").asText();
    String email = null;
    for (JsonNode e : emails) {
      if (e.path("primary").asBoolean(false) && e.path("verified").asBoolean(false)) {
        email = e.path("email").asText();
      }
    }
    if (email == null && user.hasNonNull("email")) {
      email = user.path("email").asText();
    }
    if (email == null || email.isBlank()) {
      // GitHub's own no-reply address: the user keeps their e-mail private.
      email = user.path("id").asLong() + "+" + login + "@users.noreply.github.com";
    }
    String name = user.hasNonNull("name") ? user.path("name").asText() : login;
    return new Viewer(
        user.path("id").asLong(),
        login,
        name.isBlank() ? login : name,
        user.path("avatar_url").asText(null),
        email);
  }

  /** {@code GET /user/memberships/orgs?state=active}: the organizations and roles. */
  public CompletionStage<List<Membership>> memberships(String token) {
    return orEmpty(client.getAll("/user/memberships/orgs?state=active&per_page=100", token))
        .thenApply(
            list ->
                list.stream()
                    .filter(m -> "active".equals(m.path("state").asText("active")))
                    .map(
                        m ->
                            new Membership(
                                m.path("organization").path("id").asLong(),
                                m.path("organization").path("login").asText(),
                                m.path("role").asText("member")))
                    .toList());
  }

  /** {@code GET /user/installations}: the app's installations this user can see. */
  public CompletionStage<List<Installation>> installations(String token) {
    return orEmpty(client.getAll("/user/installations?per_page=100", token))
        .thenApply(list -> list.stream().map(GitHubAppAuth::installation).toList());
  }

  /**
   * A list GitHub refuses (403 without the scope, 404 on a server without the route) reads as
   * empty, as upstream does; a refused token (401), a rate limit and every other failure stay
   * failures.
   */
  private static CompletionStage<List<JsonNode>> orEmpty(CompletionStage<List<JsonNode>> list) {
    return list.exceptionallyCompose(
        failure -> {
          Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
          // A rate limit is no answer: reading it as "no organizations" would remove memberships.
          if (cause instanceof GitHubException g
              && !g.rateLimited()
              && (g.status() == 403 || g.status() == 404)) {
            return CompletableFuture.completedFuture(List.of());
          }
          return CompletableFuture.failedFuture(cause);
        });
  }
}
