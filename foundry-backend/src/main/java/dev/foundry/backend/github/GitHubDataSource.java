package dev.foundry.backend.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.protocol.GithubDataProtocol.MemberInput;
import dev.foundry.backend.protocol.GithubDataProtocol.PullRequestInput;
import dev.foundry.backend.protocol.GithubDataProtocol.RepositoryInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What the github-data actor reads from GitHub (spec §7.4), with the GitHub App's installation
 * token: the installation's repositories, the organization's members, each repository's open pull
 * requests. Configured once at start; without the GitHub App every read fails with a clear message
 * (the sync then shows {@code error} with it).
 */
public final class GitHubDataSource implements Extension {
  public static final ExtensionId<GitHubDataSource> ID =
      new ExtensionId<>() {
        @Override
        public GitHubDataSource createExtension(ActorSystem<?> system) {
          return new GitHubDataSource();
        }
      };

  public static GitHubDataSource get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private volatile GitHubClient client;
  private volatile GitHubAppAuth app;

  private GitHubDataSource() {}

  /** Called once at start; {@code app} null without {@code GITHUB_APP_ID}. */
  public void configure(GitHubClient client, GitHubAppAuth app) {
    this.client = client;
    this.app = app;
  }

  private CompletionStage<String> token(Long installationId) {
    if (app == null || client == null) {
      return CompletableFuture.failedFuture(
          new GitHubException(0, "the GitHub App is not configured (GITHUB_APP_ID)"));
    }
    if (installationId == null) {
      return CompletableFuture.failedFuture(
          new GitHubException(0, "the GitHub App is not installed on this account"));
    }
    return app.installationToken(installationId).thenApply(GitHubAppAuth.InstallationToken::token);
  }

  /** {@code GET /installation/repositories}, every page. */
  public CompletionStage<List<RepositoryInput>> repositories(Long installationId) {
    return token(installationId)
        .thenCompose(t -> client.getAll("/installation/repositories?per_page=100", t))
        .thenApply(
            all -> {
              List<RepositoryInput> repos = new ArrayList<>();
              for (JsonNode r : all) {
                RepositoryInput repo = GitHubPayloads.repository(r);
                if (repo != null) {
                  repos.add(repo);
                }
              }
              return repos;
            });
  }

  /** An organization's members ({@code /orgs/<login>/members}); a personal account has none. */
  public CompletionStage<List<MemberInput>> members(
      Long installationId, String login, String kind) {
    if (!"organization".equals(kind) || login == null) {
      return CompletableFuture.completedFuture(List.of());
    }
    return token(installationId)
        .thenCompose(t -> client.getAll("/orgs/" + login + "/members?per_page=100", t))
        .thenApply(
            all -> {
              List<MemberInput> members = new ArrayList<>();
              for (JsonNode m : all) {
                String memberLogin = GitHubPayloads.text(m.path("login"));
                if (memberLogin != null && m.path("id").isIntegralNumber()) {
                  members.add(
                      new MemberInput(
                          String.valueOf(m.path("id").asLong()),
                          memberLogin,
                          memberLogin,
                          null,
                          m.path("site_admin").asBoolean(false) ? "admin" : "member"));
                }
              }
              return members;
            });
  }

  /** The open pull requests of each repository ({@code /repos/<full>/pulls?state=open}). */
  public CompletionStage<Map<String, List<PullRequestInput>>> openPullRequests(
      Long installationId, List<RepositoryInput> repos) {
    return token(installationId)
        .thenCompose(
            t -> {
              List<CompletableFuture<List<PullRequestInput>>> each = new ArrayList<>();
              for (RepositoryInput repo : repos) {
                each.add(
                    client
                        .getAll("/repos/" + repo.fullName() + "/pulls?state=open&per_page=100", t)
                        .thenApply(
                            all -> {
                              List<PullRequestInput> prs = new ArrayList<>();
                              for (JsonNode pr : all) {
                                PullRequestInput p = GitHubPayloads.pullRequest(pr, repo);
                                if (p != null) {
                                  prs.add(p);
                                }
                              }
                              return prs;
                            })
                        .toCompletableFuture());
              }
              return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                  .thenApply(
                      done -> {
                        Map<String, List<PullRequestInput>> byRepo =
                            new java.util.LinkedHashMap<>();
                        for (int i = 0; i < repos.size(); i++) {
                          byRepo.put(repos.get(i).fullName(), each.get(i).join());
                        }
                        return byRepo;
                      });
            });
  }
}
