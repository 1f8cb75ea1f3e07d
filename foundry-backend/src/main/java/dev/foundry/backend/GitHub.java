package dev.foundry.backend;

import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.github.GitHubAccounts;
import dev.foundry.backend.github.GitHubAppAuth;
import dev.foundry.backend.github.GitHubClient;
import dev.foundry.backend.github.GitHubDataSource;
import dev.foundry.backend.github.GitHubMembershipSync;
import dev.foundry.backend.github.GitHubOAuth;
import dev.foundry.backend.github.GitHubSandboxCredentials;
import dev.foundry.backend.http.auth.CookieSessions;
import dev.foundry.backend.http.auth.GithubSignIn;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.sandbox.SandboxHost;
import dev.foundry.backend.user.GithubAccountStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GitHub side of one backend process, built at start from {@code foundry.github}: the one
 * {@link GitHubClient}, the OAuth sign-in (with {@code GITHUB_CLIENT_ID}), the GitHub App (with
 * {@code GITHUB_APP_ID}: its key is parsed now, so a bad key stops the start), and the sandboxes'
 * git credentials.
 *
 * @param signIn null without {@code GITHUB_CLIENT_ID}
 * @param membership null without {@code GITHUB_CLIENT_ID}
 * @param app null without {@code GITHUB_APP_ID}
 */
record GitHub(
    GitHubClient client, GithubSignIn signIn, GitHubMembershipSync membership, GitHubAppAuth app) {
  private static final Logger log = LoggerFactory.getLogger(GitHub.class);

  static GitHub start(
      ActorSystem<?> system,
      FoundrySettings settings,
      DurableRuntime runtime,
      GithubAccountStore accounts,
      CookieSessions sessions) {
    FoundrySettings.Github conf = settings.github();
    // GitHub calls wait on the network: their own few threads, never the actors'.
    ExecutorService io =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "github-io");
              t.setDaemon(true);
              return t;
            });
    system.getWhenTerminated().whenComplete((done, failure) -> io.shutdownNow());
    HttpClient http = GitHubClient.httpClient(conf.requestTimeout(), io);
    GitHubClient client =
        new GitHubClient(
            http,
            URI.create(conf.apiUrl()),
            conf.requestTimeout(),
            conf.rateLimitMaxWait(),
            Clock.systemUTC(),
            io);
    GitHubAppAuth app = null;
    if (conf.appConfigured()) {
      try {
        app = new GitHubAppAuth(conf.appId(), conf.appPrivateKey(), client, Clock.systemUTC());
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    GitHubSandboxCredentials gitCredentials =
        new GitHubSandboxCredentials(runtime, accounts, app, conf.serverUrl());
    // The github-data actors read GitHub through the App's installation tokens; pull requests
    // are opened with the token git uses for the task's branch.
    GitHubDataSource.get(system).configure(client, app, gitCredentials, conf.serverUrl());
    GithubSignIn signIn = null;
    GitHubMembershipSync membership = null;
    if (conf.oauthConfigured()) {
      GitHubAccounts reads = new GitHubAccounts(client);
      membership = new GitHubMembershipSync(runtime, reads, accounts, conf.appConfigured());
      GitHubOAuth oauth =
          new GitHubOAuth(
              http,
              URI.create(conf.serverUrl()),
              conf.clientId(),
              conf.clientSecret(),
              conf.requestTimeout());
      signIn = new GithubSignIn(settings, oauth, reads, membership, sessions, Clock.systemUTC());
      log.info(
          "GitHub sign-in through {} (API {}), callback {}",
          conf.serverUrl(),
          conf.apiUrl(),
          signIn.callbackUrl());
    }
    SandboxHost.get(system).gitCredentials(gitCredentials);
    return new GitHub(client, signIn, membership, app);
  }
}
