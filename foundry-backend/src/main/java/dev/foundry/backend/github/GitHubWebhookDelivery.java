package dev.foundry.backend.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

  private static String text(JsonNode node) {
    return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
  }
}
