package dev.foundry.shared.app;

import java.util.List;

/**
 * Everything the app shell shows one signed-in (or signed-out) user ({@code FoundryAppSnapshot}).
 * Built per user: it is never sent to another user.
 */
public record FoundryAppSnapshot(
    Auth auth,
    String activeOrganizationId,
    Onboarding onboarding,
    ProviderCredentials providerCredentials,
    List<FoundryUser> users,
    List<FoundryOrganization> organizations) {

  /** {@code status} is signed_in or signed_out. */
  public record Auth(String status, String currentUserId) {}

  public record Onboarding(StarterRepo starterRepo) {}

  /** {@code status} is pending, starred or skipped. */
  public record StarterRepo(
      String repoFullName, String repoUrl, String status, Long starredAt, Long skippedAt) {}

  /** Whether the user stored agent credentials for each provider (never the credentials). */
  public record ProviderCredentials(boolean anthropic, boolean openai) {}

  public static FoundryAppSnapshot signedOut() {
    return new FoundryAppSnapshot(
        new Auth("signed_out", null),
        null,
        new Onboarding(
            new StarterRepo(
                "rivet-dev/sandbox-agent",
                "https://github.com/rivet-dev/sandbox-agent",
                "pending",
                null,
                null)),
        new ProviderCredentials(false, false),
        List.of(),
        List.of());
  }
}
