package dev.foundry.backend.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.protocol.GithubDataProtocol.PullRequestInput;
import dev.foundry.backend.protocol.GithubDataProtocol.RepositoryInput;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * GitHub's repository and pull-request objects (REST answers and webhook payloads share them) as
 * the github-data actor's inputs.
 */
public final class GitHubPayloads {
  private GitHubPayloads() {}

  /** Null when the object has no {@code full_name} or {@code clone_url}. */
  public static RepositoryInput repository(JsonNode repo) {
    String fullName = text(repo.path("full_name"));
    String cloneUrl = text(repo.path("clone_url"));
    if (fullName == null || cloneUrl == null) {
      return null;
    }
    String branch = text(repo.path("default_branch"));
    return new RepositoryInput(
        fullName,
        cloneUrl,
        repo.path("private").asBoolean(false),
        branch == null ? "main" : branch);
  }

  /** Null when the object is not a pull request of {@code repo}. */
  public static PullRequestInput pullRequest(JsonNode pr, RepositoryInput repo) {
    if (repo == null || !pr.path("number").isIntegralNumber()) {
      return null;
    }
    int number = pr.path("number").asInt();
    String url = text(pr.path("html_url"));
    if (url == null) {
      url = "https://github.com/" + repo.fullName() + "/pull/" + number;
    }
    boolean merged = pr.path("merged").asBoolean(false) || text(pr.path("merged_at")) != null;
    String title = text(pr.path("title"));
    return new PullRequestInput(
        repo,
        number,
        title == null ? "#" + number : title,
        pr.path("body").isTextual() ? pr.path("body").asText() : null,
        text(pr.path("state")) == null ? "open" : text(pr.path("state")),
        url,
        text(pr.path("head").path("ref")) == null ? "" : text(pr.path("head").path("ref")),
        text(pr.path("base").path("ref")) == null ? "" : text(pr.path("base").path("ref")),
        text(pr.path("user").path("login")),
        pr.path("draft").asBoolean(false),
        merged,
        instant(pr.path("updated_at")));
  }

  private static Long instant(JsonNode node) {
    String s = text(node);
    if (s == null) {
      return null;
    }
    try {
      return Instant.parse(s).toEpochMilli();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  static String text(JsonNode node) {
    return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
  }
}
