package dev.foundry.backend.http.rest;

import dev.foundry.backend.github.GitHubDataSource;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.protocol.GithubDataProtocol;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncAccepted;
import dev.foundry.backend.protocol.GithubDataProtocol.SyncInput;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryOrganization;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The organization's GitHub cache as members reach it: {@code POST .../github/sync} starts a full
 * sync of repositories, members and pull requests (spec §11.3), or joins the one running; its
 * progress shows in the organization's {@code github} state.
 */
final class GithubApi {
  private final DurableRuntime runtime;

  GithubApi(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  /**
   * A running sync is joined by a query (answered while a sync step waits on GitHub, when commands
   * queue); only an idle cache gets the command, which joins too if a sync started meanwhile.
   */
  CompletionStage<SyncAccepted> sync(Call call) {
    if (!GitHubDataSource.get(runtime.system()).appConfigured()) {
      throw new ApiException(
          StatusCodes.SERVICE_UNAVAILABLE,
          "github_app_not_configured",
          "syncing from GitHub needs the GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)");
    }
    FoundryOrganization org = call.organization();
    String login = org.github().connectedAccount();
    var githubData =
        runtime.getOrCreate(GithubDataProtocol.TYPE, GithubDataProtocol.key(call.org()));
    return githubData
        .query(new GithubDataProtocol.GetSummary())
        .thenCompose(
            summary ->
                "syncing".equals(summary.syncStatus())
                    ? CompletableFuture.completedFuture(
                        new SyncAccepted(false, summary.syncGeneration()))
                    : start(call, org, login));
  }

  private CompletionStage<SyncAccepted> start(Call call, FoundryOrganization org, String login) {
    return runtime
        .get(OrganizationProtocol.TYPE, OrganizationProtocol.key(call.org()))
        .query(new OrganizationProtocol.GetGithubInstallation())
        .thenCompose(
            installationId ->
                runtime
                    .getOrCreate(GithubDataProtocol.TYPE, GithubDataProtocol.key(call.org()))
                    .ask(
                        new GithubDataProtocol.SyncRepos(
                            new SyncInput(
                                login == null || login.isBlank() ? null : login,
                                null,
                                installationId,
                                login == null || login.isBlank() ? null : login,
                                org.kind(),
                                "Syncing GitHub data..."))));
  }
}
