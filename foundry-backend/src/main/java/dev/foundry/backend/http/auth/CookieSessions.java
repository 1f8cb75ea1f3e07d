package dev.foundry.backend.http.auth;

import dev.foundry.backend.organization.OrganizationActor;
import dev.foundry.backend.organization.OrganizationActor.FindSession;
import dev.foundry.backend.organization.OrganizationActor.SessionEntry;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-side sessions behind the {@link SessionCookie}: kept in the app organization actor's
 * session index (as upstream keeps its auth records there), looked up on every request. A session
 * older than {@code foundry.auth.session-ttl} is refused and removed.
 *
 * <p>This is the process's {@link Authenticator}: REST routes and the realtime endpoint both ask it
 * who a request comes from, and nothing else (no header, no body field) names a user.
 */
public final class CookieSessions implements Authenticator {
  private static final Logger log = LoggerFactory.getLogger(CookieSessions.class);

  /** A live session: its user and the organization it has selected (may be null). */
  public record Session(SignedInUser user, String activeOrganizationId) {}

  /** A session just opened: the cookie token to hand out, and who it signed in. */
  public record Opened(String token, String sessionId, String userId, String organizationId) {}

  private final DurableRuntime runtime;
  private final SessionCookie cookie;
  private final Clock clock;

  public CookieSessions(DurableRuntime runtime, SessionCookie cookie, Clock clock) {
    this.runtime = runtime;
    this.cookie = cookie;
    this.clock = clock;
  }

  public CookieSessions(DurableRuntime runtime, SessionCookie cookie) {
    this(runtime, cookie, Clock.systemUTC());
  }

  public SessionCookie cookie() {
    return cookie;
  }

  @Override
  public CompletionStage<Optional<SignedInUser>> authenticate(HttpRequest request) {
    return current(request).thenApply(s -> s.map(Session::user));
  }

  /** The request's live session; empty without a cookie, for an unknown or an expired one. */
  public CompletionStage<Optional<Session>> current(HttpRequest request) {
    Optional<String> token = cookie.tokenOf(request);
    if (token.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    String sessionId = cookie.sessionIdOf(token.get());
    return app().query(new FindSession(sessionId)).thenApply(this::live);
  }

  private Optional<Session> live(SessionEntry entry) {
    if (entry == null) {
      return Optional.empty();
    }
    if (clock.millis() - entry.createdAt() > cookie.ttl().toMillis()) {
      // Expired: refuse it now and forget it durably (no one waits for that).
      app()
          .tell(new OrganizationActor.RemoveSession(entry.sessionId()))
          .exceptionally(
              failure -> {
                log.warn("expired session not removed: {}", failure.toString());
                return null;
              });
      return Optional.empty();
    }
    return Optional.of(
        new Session(
            new SignedInUser(entry.userId(), entry.sessionId()), entry.activeOrganizationId()));
  }

  /**
   * Signs in a local user (dev sign-in) under a new session; their personal organization becomes
   * active. The command waits: the cookie is handed out only once the session is stored.
   */
  public CompletionStage<Opened> signInLocal(String login) {
    String token = cookie.newToken();
    String sessionId = cookie.sessionIdOf(token);
    return app()
        .ask(new OrganizationActor.SignInLocalUser(sessionId, login, null, null))
        .thenApply(
            signIn -> new Opened(token, sessionId, signIn.userId(), signIn.organizationId()));
  }

  /** Ends the request's session, if it has one; answers whether one was ended. */
  public CompletionStage<Boolean> signOut(HttpRequest request) {
    Optional<String> token = cookie.tokenOf(request);
    if (token.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    return app().ask(new OrganizationActor.RemoveSession(cookie.sessionIdOf(token.get())));
  }

  private DurableRef<OrganizationActor.Command<?>> app() {
    return runtime.getOrCreate(OrganizationActor.KIND, OrganizationActor.key(OrganizationIds.APP));
  }
}
