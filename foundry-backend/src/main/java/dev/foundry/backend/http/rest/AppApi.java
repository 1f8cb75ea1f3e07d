package dev.foundry.backend.http.rest;

import dev.foundry.backend.github.GitHubException;
import dev.foundry.backend.github.GitHubMembershipSync;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.rest.RequestBodies.SelectOrganization;
import dev.foundry.backend.http.rest.RequestBodies.SetDefaultModel;
import dev.foundry.backend.http.rest.RequestBodies.SetProviderApiKey;
import dev.foundry.backend.organization.AppSnapshots;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.user.ProviderCredentialStore;
import dev.foundry.shared.app.FoundryAppSnapshot;
import dev.foundry.shared.app.FoundryAppSnapshot.ProviderCredentials;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** {@code /v1/app*}: the signed-in user's app snapshot and their per-user app state. */
final class AppApi {
  private final DurableRuntime runtime;
  private final ProviderCredentialStore credentials;
  private final GitHubMembershipSync membership;

  AppApi(
      DurableRuntime runtime,
      ProviderCredentialStore credentials,
      GitHubMembershipSync membership) {
    this.runtime = runtime;
    this.credentials = credentials;
    this.membership = membership;
  }

  /**
   * Syncs the user's organizations from GitHub with their stored token, then answers the app
   * snapshot. A token GitHub refuses (expired, revoked) answers 401 {@code github_token_expired}:
   * the user signs in with GitHub again; GitHub failing otherwise answers 502.
   */
  CompletionStage<FoundryAppSnapshot> syncGithub(Call call) {
    if (membership == null) {
      throw new ApiException(
          StatusCodes.NOT_FOUND,
          "github_sign_in_not_configured",
          "GitHub sign-in is not configured on this server (GITHUB_CLIENT_ID)");
    }
    return membership
        .sync(call.userId())
        .exceptionally(
            failure -> {
              Throwable cause =
                  failure instanceof CompletionException && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (cause instanceof GitHubException g) {
                if (g.unauthorized()) {
                  throw new ApiException(
                      StatusCodes.UNAUTHORIZED,
                      "github_token_expired",
                      "GitHub refused the stored token (expired or revoked): sign in with GitHub"
                          + " again");
                }
                throw new ApiException(StatusCodes.BAD_GATEWAY, "github_failed", g.getMessage());
              }
              throw failure instanceof CompletionException c ? c : new CompletionException(cause);
            })
        .thenCompose(synced -> snapshot(call));
  }

  /**
   * Stores the user's key for {@code {provider}} (sealed by the store); answers which providers
   * have a key, never a key. It reaches the sandboxes of the user's tasks that start afterwards.
   */
  CompletionStage<ProviderCredentials> upsertProviderCredential(Call call) {
    String provider = provider(call);
    String apiKey = call.body(SetProviderApiKey.class).apiKey();
    return credentials.storeApiKey(call.userId(), provider, apiKey);
  }

  CompletionStage<ProviderCredentials> removeProviderCredential(Call call) {
    return credentials.remove(call.userId(), provider(call));
  }

  private static String provider(Call call) {
    String provider = call.path("provider");
    if (!ProviderCredentialStore.KEY_VARIABLES.containsKey(provider)) {
      throw ApiErrors.invalid(
          "invalid_provider",
          "provider must be one of "
              + new TreeSet<>(ProviderCredentialStore.KEY_VARIABLES.keySet())
              + ", got "
              + provider);
    }
    return provider;
  }

  CompletionStage<FoundryAppSnapshot> snapshot(Call call) {
    return AppSnapshots.snapshotForUser(
        runtime, call.userId(), call.session().activeOrganizationId());
  }

  /** The app instance checks that the organization is one of the user's (403 otherwise). */
  CompletionStage<FoundryAppSnapshot> selectOrganization(Call call) {
    String organizationId = call.body(SelectOrganization.class).organizationId();
    return runtime
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP))
        .ask(new OrganizationProtocol.SelectOrganization(call.user().sessionId(), organizationId))
        .thenCompose(selected -> AppSnapshots.snapshotForUser(runtime, call.userId(), selected));
  }

  CompletionStage<FoundryAppSnapshot> setDefaultModel(Call call) {
    String model = call.body(SetDefaultModel.class).model();
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(call.userId()))
        .ask(new UserProtocol.SetDefaultModel(model))
        .thenCompose(
            user ->
                AppSnapshots.snapshotForUser(
                    runtime, call.userId(), call.session().activeOrganizationId()));
  }
}
