package dev.foundry.backend.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.protocol.GithubDataProtocol;
import dev.foundry.backend.protocol.GithubDataProtocol.ClearInput;
import dev.foundry.backend.protocol.GithubDataProtocol.ClearState;
import dev.foundry.backend.protocol.GithubDataProtocol.HandlePullRequestWebhook;
import dev.foundry.backend.protocol.GithubDataProtocol.HandleRepositoryWebhook;
import dev.foundry.backend.protocol.GithubDataProtocol.PullRequestInput;
import dev.foundry.backend.protocol.GithubDataProtocol.RepositoryInput;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncInput;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncRepos;
import java.io.IOException;

/**
 * A verified GitHub delivery as the router needs it (spec §2.1): its event and action, and the
 * account it concerns: {@code installation.account}, else {@code repository.owner}, else {@code
 * organization}. The account's type decides between a personal organization and a GitHub one.
 */
public record GitHubWebhookDelivery(
    String deliveryId,
    String event,
    String action,
    String accountLogin,
    String accountType,
    Long installationId,
    JsonNode payload) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Parses the body of a delivery whose signature was checked. */
  public static GitHubWebhookDelivery parse(String deliveryId, String event, byte[] body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("the delivery's body is not JSON");
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("the delivery's body is not a JSON object");
    }
    String action = text(root.path("action"));
    JsonNode installation = root.path("installation");
    String login = text(installation.path("account").path("login"));
    String type = text(installation.path("account").path("type"));
    if (login == null) {
      login = text(root.path("repository").path("owner").path("login"));
      if (type == null && login != null) {
        type = text(root.path("repository").path("owner").path("type"));
      }
    }
    if (login == null) {
      login = text(root.path("organization").path("login"));
      if (type == null && login != null) {
        type = "Organization";
      }
    }
    Long installationId =
        installation.path("id").isIntegralNumber() ? installation.path("id").asLong() : null;
    return new GitHubWebhookDelivery(deliveryId, event, action, login, type, installationId, root);
  }

  /** {@code personal} for a user account, {@code organization} otherwise (as upstream). */
  public String kind() {
    return "User".equals(accountType) ? "personal" : "organization";
  }

  /**
   * What the delivery asks of the organization's github-data actor (spec §2.1), or null for an
   * event that is only recorded (push, reviews, checks, statuses, anything unknown).
   */
  public GithubDataProtocol.Command<?> githubDataWork() {
    String a = action == null ? "" : action;
    SyncInput connected =
        new SyncInput(accountLogin, "connected", installationId, accountLogin, kind(), null);
    switch (event) {
      case "installation":
        return switch (a) {
          case "created", "new_permissions_accepted" ->
              new SyncRepos(withLabel(connected, "Importing repositories from GitHub..."));
          case "unsuspend" ->
              new SyncRepos(withLabel(connected, "Resyncing GitHub data after unsuspend..."));
          case "deleted" ->
              new ClearState(
                  new ClearInput(
                      accountLogin, "install_required", null, "GitHub App installation removed"));
          case "suspend" ->
              new ClearState(
                  new ClearInput(
                      accountLogin,
                      "reconnect_required",
                      installationId,
                      "GitHub App installation suspended"));
          default -> null;
        };
      case "installation_repositories":
        return new SyncRepos(withLabel(connected, "Syncing repositories from GitHub..."));
      case "member", "membership", "organization":
        if (event.equals("organization") && !a.startsWith("member_")) {
          return null;
        }
        return new SyncRepos(withLabel(connected, "Syncing members from GitHub..."));
      case "repository":
        {
          RepositoryInput repo = GitHubPayloads.repository(payload.path("repository"));
          if (repo == null) {
            return null;
          }
          String from =
              GitHubPayloads.text(
                  payload.path("changes").path("repository").path("name").path("from"));
          String previous =
              from == null ? null : repo.fullName().replaceFirst("/[^/]+$", "/" + from);
          return new HandleRepositoryWebhook(a, repo, previous);
        }
      case "pull_request":
        {
          RepositoryInput repo = GitHubPayloads.repository(payload.path("repository"));
          PullRequestInput pr = GitHubPayloads.pullRequest(payload.path("pull_request"), repo);
          return pr == null ? null : new HandlePullRequestWebhook(accountLogin, installationId, pr);
        }
      default:
        return null;
    }
  }

  private static SyncInput withLabel(SyncInput in, String label) {
    return new SyncInput(
        in.connectedAccount(),
        in.installationStatus(),
        in.installationId(),
        in.githubLogin(),
        in.kind(),
        label);
  }

  private static String text(JsonNode node) {
    return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
  }
}
