package dev.foundry.backend.github;

import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.sandbox.SandboxHost;
import dev.foundry.backend.user.GithubAccountStore;
import dev.foundry.sandbox.git.GitCredentials;
import dev.foundry.shared.app.FoundryOrganization;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The git credential of a task's sandbox, for {@code GITHUB_SERVER_URL}: the task owner's own OAuth
 * token (user name their login) when the owner is an active member of the task's organization;
 * otherwise, when the GitHub App is installed on the organization's account, an installation token
 * (user name {@code x-access-token}); otherwise none. The token is asked when a sandbox's
 * credentials are written and goes only into that sandbox's credential file: a sandbox of another
 * organization is asked for separately, with its own owner and organization, and never sees it.
 */
public final class GitHubSandboxCredentials implements SandboxHost.GitCredentialSource {
  private final DurableRuntime runtime;
  private final GithubAccountStore accounts;
  private final GitHubAppAuth app;
  private final String serverUrl;

  /**
   * @param app the GitHub App, null when not configured
   */
  public GitHubSandboxCredentials(
      DurableRuntime runtime, GithubAccountStore accounts, GitHubAppAuth app, String serverUrl) {
    this.runtime = runtime;
    this.accounts = accounts;
    this.app = app;
    this.serverUrl = serverUrl;
  }

  @Override
  public CompletionStage<List<GitCredentials>> credentialsFor(
      String organizationId, String userId) {
    var organization =
        runtime.get(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId));
    return organization
        .queryIfExists(new OrganizationProtocol.GetOrganization())
        .thenCompose(
            org -> {
              if (org == null) {
                return CompletableFuture.completedFuture(List.<GitCredentials>of());
              }
              if (activeMember(org, userId)) {
                return accounts
                    .load(userId)
                    .thenCompose(
                        account ->
                            account.isPresent()
                                ? CompletableFuture.completedFuture(
                                    List.of(
                                        GitCredentials.of(
                                            serverUrl,
                                            account.get().login(),
                                            account.get().token())))
                                : installationCredentials(organization));
              }
              return CompletableFuture.completedFuture(List.<GitCredentials>of());
            });
  }

  private CompletionStage<List<GitCredentials>> installationCredentials(
      dev.foundry.backend.runtime.DurableRef<OrganizationProtocol.Command<?>> organization) {
    if (app == null) {
      return CompletableFuture.completedFuture(List.of());
    }
    return organization
        .query(new OrganizationProtocol.GetGithubInstallation())
        .thenCompose(
            installation ->
                installation == null
                    ? CompletableFuture.completedFuture(List.<GitCredentials>of())
                    : app.installationToken(installation)
                        .thenApply(
                            token ->
                                List.of(
                                    GitCredentials.of(
                                        serverUrl, "x-access-token", token.token()))));
  }

  private static boolean activeMember(FoundryOrganization org, String userId) {
    return org.members().stream()
        .anyMatch(m -> m.id().equals(userId) && "active".equals(m.state()));
  }
}
