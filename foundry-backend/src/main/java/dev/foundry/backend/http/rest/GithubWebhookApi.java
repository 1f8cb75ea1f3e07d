package dev.foundry.backend.http.rest;

import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.github.GitHubWebhookDelivery;
import dev.foundry.backend.github.GitHubWebhookSignature;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/webhooks/github} (spec §2.1, §11.4): the signature over the raw body first (401
 * when missing or wrong, before anything reads the body), then the delivery is taken durably by its
 * {@code X-GitHub-Delivery} id on the {@code app} instance and answered; its effects run after,
 * through the outbox. A redelivered id answers 200 and changes nothing; a delivery that names no
 * account is acknowledged and ignored.
 */
final class GithubWebhookApi {
  private static final Logger log = LoggerFactory.getLogger(GithubWebhookApi.class);

  /** What the webhook answers once the delivery is durably taken (or was taken before). */
  public record WebhookAck(boolean ok) {}

  private final DurableRuntime runtime;
  private final GitHubWebhookSignature signature;

  GithubWebhookApi(FoundrySettings settings, DurableRuntime runtime) {
    this.runtime = runtime;
    String secret = settings.github().webhookSecret();
    this.signature = secret.isEmpty() ? null : new GitHubWebhookSignature(secret);
  }

  CompletionStage<WebhookAck> webhook(Call call) {
    if (signature == null) {
      // Nothing could tell GitHub's deliveries from anyone else's.
      throw new ApiException(
          StatusCodes.SERVICE_UNAVAILABLE,
          "github_webhooks_not_configured",
          "GitHub webhooks need GITHUB_WEBHOOK_SECRET");
    }
    byte[] body = call.body(RawBody.class).bytes();
    String header = header(call, "X-Hub-Signature-256");
    if (header == null) {
      throw new ApiException(
          StatusCodes.UNAUTHORIZED, "missing_signature", "X-Hub-Signature-256 is required");
    }
    if (!signature.verifies(body, header)) {
      throw new ApiException(
          StatusCodes.UNAUTHORIZED,
          "invalid_signature",
          "X-Hub-Signature-256 does not sign this body with the webhook secret");
    }
    String event = header(call, "X-GitHub-Event");
    String deliveryId = header(call, "X-GitHub-Delivery");
    if (event == null || deliveryId == null) {
      throw ApiErrors.badRequest(
          "missing_header", "X-GitHub-Event and X-GitHub-Delivery are required");
    }
    if (deliveryId.length() > 128 || event.length() > 128) {
      throw ApiErrors.badRequest("invalid_header", "X-GitHub-Event or X-GitHub-Delivery too long");
    }
    GitHubWebhookDelivery delivery;
    try {
      delivery = GitHubWebhookDelivery.parse(deliveryId, event, json(call, body));
    } catch (IllegalArgumentException e) {
      throw ApiErrors.badRequest("invalid_event", e.getMessage());
    }
    String organizationId = organizationOf(delivery);
    if (organizationId == null) {
      // ping and other deliveries about no account: nothing of ours to update.
      log.info("GitHub delivery {} ({}) names no account: ignored", deliveryId, event);
      return CompletableFuture.completedFuture(new WebhookAck(true));
    }
    return runtime
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP))
        .ask(
            new OrganizationProtocol.RecordGithubDelivery(
                deliveryId, event, delivery.action(), organizationId, delivery.githubDataWork()))
        .thenApply(taken -> new WebhookAck(true));
  }

  /**
   * The delivery's JSON: the body, or its {@code payload} field when the webhook was set up with
   * GitHub's {@code application/x-www-form-urlencoded} content type (the signature covers the form
   * as sent, so this runs after the check).
   */
  private static byte[] json(Call call, byte[] body) {
    boolean form =
        call.request()
            .entity()
            .getContentType()
            .mediaType()
            .toString()
            .equalsIgnoreCase("application/x-www-form-urlencoded");
    if (!form) {
      return body;
    }
    for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals("payload")) {
        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8)
            .getBytes(StandardCharsets.UTF_8);
      }
    }
    throw ApiErrors.badRequest("invalid_event", "a form-encoded delivery needs its payload field");
  }

  /** Upstream's {@code organizationOrganizationId(kind, login)}; null without an account. */
  static String organizationOf(GitHubWebhookDelivery delivery) {
    if (delivery.accountLogin() == null
        || OrganizationIds.slug(delivery.accountLogin()).isEmpty()) {
      return null;
    }
    return "personal".equals(delivery.kind())
        ? OrganizationIds.personal(delivery.accountLogin())
        : OrganizationIds.forGithubOrganization(delivery.accountLogin());
  }

  private static String header(Call call, String name) {
    return call.request()
        .getHeader(name)
        .map(HttpHeader::value)
        .filter(v -> !v.isBlank())
        .orElse(null);
  }
}
