package dev.foundry.backend.organization;

import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.FindSession;
import dev.foundry.backend.protocol.OrganizationProtocol.GetOrganization;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryAppSnapshot;
import dev.foundry.shared.app.FoundryAppSnapshot.ProviderCredentials;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryUser;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Builds the per-user app snapshot ({@code buildAppSnapshot}, spec §11.2) from the app instance's
 * session index, the user actor and the user's eligible organizations. Reads only: it never creates
 * an organization or a user.
 */
public final class AppSnapshots {
  private AppSnapshots() {}

  /** The snapshot for the session's user, or a signed-out one for an unknown session. */
  public static CompletionStage<FoundryAppSnapshot> snapshot(
      DurableRuntime runtime, String sessionId) {
    return runtime
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP))
        .query(new FindSession(sessionId))
        .thenCompose(
            session ->
                session == null
                    ? CompletableFuture.completedFuture(FoundryAppSnapshot.signedOut())
                    : snapshotForUser(runtime, session.userId(), session.activeOrganizationId()));
  }

  /**
   * The snapshot of {@code userId}: the active organization is {@code activeOrganizationId} if it
   * is one of theirs, else their only organization, else none.
   */
  public static CompletionStage<FoundryAppSnapshot> snapshotForUser(
      DurableRuntime runtime, String userId, String activeOrganizationId) {
    // Reads use get: building a snapshot never creates a user or an organization.
    var user = runtime.get(UserProtocol.TYPE, UserProtocol.key(userId));
    CompletionStage<FoundryUser> profile = user.queryIfExists(new UserProtocol.GetProfile());
    CompletionStage<ProviderCredentials> credentials =
        user.queryIfExists(new UserProtocol.GetProviderCredentialStatus());
    return profile.thenCompose(
        p -> {
          if (p == null) {
            return CompletableFuture.completedFuture(FoundryAppSnapshot.signedOut());
          }
          List<CompletableFuture<FoundryOrganization>> orgs = new ArrayList<>();
          for (String id : p.eligibleOrganizationIds()) {
            orgs.add(
                runtime
                    .get(OrganizationProtocol.TYPE, OrganizationProtocol.key(id))
                    .queryIfExists(new GetOrganization())
                    .toCompletableFuture());
          }
          return CompletableFuture.allOf(orgs.toArray(CompletableFuture[]::new))
              .thenCombine(
                  credentials,
                  (ignored, creds) -> {
                    List<FoundryOrganization> initialized =
                        orgs.stream().map(CompletableFuture::join).filter(o -> o != null).toList();
                    String active =
                        initialized.stream().anyMatch(o -> o.id().equals(activeOrganizationId))
                            ? activeOrganizationId
                            : initialized.size() == 1 ? initialized.get(0).id() : null;
                    FoundryAppSnapshot out = FoundryAppSnapshot.signedOut();
                    return new FoundryAppSnapshot(
                        new FoundryAppSnapshot.Auth("signed_in", userId),
                        active,
                        out.onboarding(),
                        creds == null ? out.providerCredentials() : creds,
                        List.of(p),
                        initialized);
                  });
        });
  }
}
