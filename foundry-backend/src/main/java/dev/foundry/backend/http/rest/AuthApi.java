package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.auth.CookieSessions;
import dev.foundry.backend.http.auth.GithubSignIn;
import dev.foundry.backend.http.rest.RequestBodies.DevSignIn;
import dev.foundry.backend.http.rest.Responses.AuthSession;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryUser;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * {@code /v1/auth/*}: the session, sign-out, GitHub sign-in ({@link GithubSignIn}) and the dev
 * sign-in of a local user.
 */
final class AuthApi {
  private final DurableRuntime runtime;
  private final CookieSessions sessions;
  private final GithubSignIn github;

  /**
   * @param github the GitHub sign-in; null when {@code GITHUB_CLIENT_ID} is not set (its routes
   *     then answer 404 {@code github_sign_in_not_configured})
   */
  AuthApi(DurableRuntime runtime, CookieSessions sessions, GithubSignIn github) {
    this.runtime = runtime;
    this.sessions = sessions;
    this.github = github;
  }

  /** {@code 302} to GitHub's authorize page, with the state cookie. */
  CompletionStage<Reply> signInWithGithub(Call call) {
    GithubSignIn signIn = githubSignIn();
    GithubSignIn.Redirect redirect;
    try {
      redirect = signIn.start(call.query("redirectTo").orElse(null));
    } catch (GithubSignIn.InvalidRedirect e) {
      throw ApiErrors.badRequest("invalid_redirect", e.getMessage());
    }
    return done(new Reply(302, null, redirect.allHeaders()));
  }

  /** GitHub's redirect back: {@code 302} into the app, signed in, or to its sign-in page. */
  CompletionStage<Reply> githubCallback(Call call) {
    java.util.Map<String, String> query = new java.util.HashMap<>();
    for (String name : java.util.List.of("code", "state", "error")) {
      call.query(name).ifPresent(v -> query.put(name, v));
    }
    return githubSignIn()
        .callback(call.request(), query)
        .thenApply(redirect -> new Reply(302, null, redirect.allHeaders()));
  }

  private GithubSignIn githubSignIn() {
    if (github == null) {
      throw new ApiException(
          StatusCodes.NOT_FOUND,
          "github_sign_in_not_configured",
          "GitHub sign-in is not configured on this server (GITHUB_CLIENT_ID)");
    }
    return github;
  }

  CompletionStage<AuthSession> session(Call call) {
    return authSession(call.userId(), call.session().activeOrganizationId());
  }

  /** Ends the session server-side (if the cookie names one) and clears the cookie either way. */
  CompletionStage<Reply> signOut(Call call) {
    return sessions
        .signOut(call.request())
        .thenApply(ended -> Reply.of(204, null, sessions.cookie().clear()));
  }

  CompletionStage<Reply> devSignIn(Call call) {
    DevSignIn body = call.body(DevSignIn.class);
    // A browser that was signed in as someone else loses that session first.
    return sessions
        .signOut(call.request())
        .thenCompose(ended -> sessions.signInLocal(body.login()))
        .thenCompose(
            opened ->
                authSession(opened.userId(), opened.organizationId())
                    .thenApply(
                        session ->
                            Reply.of(200, session, sessions.cookie().issue(opened.token()))));
  }

  private CompletionStage<AuthSession> authSession(String userId, String activeOrganizationId) {
    CompletionStage<FoundryUser> profile =
        runtime
            .get(UserProtocol.TYPE, UserProtocol.key(userId))
            .queryIfExists(new UserProtocol.GetProfile());
    return profile.thenApply(
        user -> {
          if (user == null) {
            throw new ApiException(
                StatusCodes.UNAUTHORIZED, "not_signed_in", "the session's user no longer exists");
          }
          String active =
              activeOrganizationId != null
                      && user.eligibleOrganizationIds().contains(activeOrganizationId)
                  ? activeOrganizationId
                  : null;
          return new AuthSession(user, active);
        });
  }

  static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
