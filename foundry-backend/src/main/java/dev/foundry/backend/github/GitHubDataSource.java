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
  private volatile GitHubSandboxCredentials credentials;
  private volatile String serverUrl;

  private GitHubDataSource() {}

  /** Called once at start; {@code app} null without {@code GITHUB_APP_ID}. */
  public void configure(
      GitHubClient client,
      GitHubAppAuth app,
      GitHubSandboxCredentials credentials,
      String serverUrl) {
    this.client = client;
    this.app = app;
    this.credentials = credentials;
    this.serverUrl = serverUrl.replaceAll("/+$", "");
  }

  /** Whether the GitHub App is configured: without it nothing can be synced. */
  public boolean appConfigured() {
    return app != null && client != null;
  }

  /** Why a pull request was not opened: {@code code} for the API's 409. */
  public static final class PullRequestRefused extends RuntimeException {
    private final String code;

    public PullRequestRefused(String code, String message) {
      super(message);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  /** {@code owner/name} of a clone URL on this GitHub, or null for any other remote. */
  public String fullNameOf(String remoteUrl) {
    String base = serverUrl + "/";
    if (remoteUrl == null || serverUrl == null || !remoteUrl.startsWith(base)) {
      return null;
    }
    String path = remoteUrl.substring(base.length()).replaceAll("(?i)\\.git$", "");
    return path.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+") ? path : null;
  }

  /**
   * Opens a pull request from {@code head} into {@code base} with the GitHub token git would use
   * for {@code userId} in the organization (their own, else the installation's). Fails with {@link
   * PullRequestRefused}: {@code not_github}, {@code missing_permission}, {@code no_changes}, {@code
   * pull_request_exists}.
   */
  public CompletionStage<JsonNode> openPullRequest(
      String organizationId,
      String userId,
      String remoteUrl,
      String head,
      String base,
      String title,
      String body) {
    String fullName = fullNameOf(remoteUrl);
    if (fullName == null || credentials == null) {
      return CompletableFuture.failedFuture(
          new PullRequestRefused(
              "not_github", "the repository is not on GitHub (" + serverUrl + "): " + remoteUrl));
    }
    return credentials
        .credentialsFor(organizationId, userId)
        .thenCompose(
            creds -> {
              if (creds.isEmpty()) {
                throw new PullRequestRefused(
                    "missing_permission", "no GitHub token may open pull requests on " + fullName);
              }
              return client.post(
                  "/repos/" + fullName + "/pulls",
                  creds.get(0).password(),
                  Map.of("title", title, "head", head, "base", base, "body", body));
            })
        .exceptionally(
            failure -> {
              Throwable cause =
                  failure instanceof java.util.concurrent.CompletionException
                          && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (cause instanceof GitHubException g) {
                String m = g.getMessage() == null ? "" : g.getMessage();
                if (g.status() == 422 && m.contains("No commits between")) {
                  throw new PullRequestRefused(
                      "no_changes", "the branch has no commits beyond " + base + ": " + m);
                }
                if (g.status() == 422 && m.contains("already exists")) {
                  throw new PullRequestRefused("pull_request_exists", m);
                }
                if (g.status() == 403 || g.status() == 404) {
                  throw new PullRequestRefused("missing_permission", m);
                }
              }
              if (cause instanceof RuntimeException r) {
                throw r;
              }
              throw new java.util.concurrent.CompletionException(cause);
            });
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
