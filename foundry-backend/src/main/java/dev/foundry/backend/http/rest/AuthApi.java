package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.auth.CookieSessions;
import dev.foundry.backend.http.rest.RequestBodies.DevSignIn;
import dev.foundry.backend.http.rest.Responses.AuthSession;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryUser;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** {@code /v1/auth/*}: the session, sign-out, and the dev sign-in of a local user. */
final class AuthApi {
  private final DurableRuntime runtime;
  private final CookieSessions sessions;

  AuthApi(DurableRuntime runtime, CookieSessions sessions) {
    this.runtime = runtime;
    this.sessions = sessions;
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
