package dev.foundry.backend.http.auth;

import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.organization.OrganizationViews;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.SessionEntry;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-side sessions behind the {@link SessionCookie}: kept in the app organization actor's
 * session index (as upstream keeps its auth records there), looked up on every request in the
 * {@link OrganizationViews session directory} that the actor keeps current. A session older than
 * {@code foundry.auth.session-ttl} is refused and removed; expired sessions nobody presents again
 * are purged durably at start and on every new sign-in ({@link #purgeExpired}).
 *
 * <p>This is the process's {@link Authenticator}: REST routes and the realtime endpoint both ask it
 * who a request comes from, and nothing else (no header, no body field) names a user.
 *
 * <p>What outlives a request learns that a session ended through {@link #onSessionEnded}: the
 * realtime endpoint closes the sockets opened under it.
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
  private final List<Consumer<String>> endedListeners = new CopyOnWriteArrayList<>();

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

  /**
   * Calls {@code listener} with the id of every session that ends here: signed out (also the
   * session a dev sign-in replaces, since it signs out first) or found expired on a request. It
   * runs on the thread that ended the session and must not block.
   */
  public void onSessionEnded(Consumer<String> listener) {
    endedListeners.add(listener);
  }

  private void ended(String sessionId) {
    for (Consumer<String> listener : endedListeners) {
      try {
        listener.accept(sessionId);
      } catch (RuntimeException e) {
        log.warn("a listener of ended sessions failed", e);
      }
    }
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
    // From memory once loaded; the app instance forgets a session there before answering the
    // command that ended or changed it.
    return OrganizationViews.get(runtime.system())
        .session(runtime, sessionId)
        .thenApply(this::live);
  }

  private Optional<Session> live(SessionEntry entry) {
    if (entry == null) {
      return Optional.empty();
    }
    Instant expiresAt = Instant.ofEpochMilli(entry.createdAt()).plus(cookie.ttl());
    if (clock.instant().isAfter(expiresAt)) {
      // Expired: refuse it now and forget it durably (no one waits for that).
      ended(entry.sessionId());
      app()
          .tell(new OrganizationProtocol.RemoveSession(entry.sessionId()))
          .exceptionally(
              failure -> {
                log.warn("expired session not removed: {}", failure.toString());
                return null;
              });
      return Optional.empty();
    }
    return Optional.of(
        new Session(
            new SignedInUser(entry.userId(), entry.sessionId(), expiresAt),
            entry.activeOrganizationId()));
  }

  /**
   * Signs in a local user (dev sign-in) under a new session; their personal organization becomes
   * active. The command waits: the cookie is handed out only once the session is stored.
   */
  public CompletionStage<Opened> signInLocal(String login) {
    String token = cookie.newToken();
    String sessionId = cookie.sessionIdOf(token);
    return app()
        .ask(new OrganizationProtocol.SignInLocalUser(sessionId, login, null, null))
        .thenApply(
            signIn -> {
              purgeExpired();
              return new Opened(token, sessionId, signIn.userId(), signIn.organizationId());
            });
  }

  /**
   * Opens the session of a user who signed in with GitHub (their user, account and organizations
   * exist already); {@code activeOrganizationId} may be null. The cookie is handed out only once
   * the session is stored.
   */
  public CompletionStage<Opened> signInGithub(
      String userId, String email, String githubAccountId, String activeOrganizationId) {
    String token = cookie.newToken();
    String sessionId = cookie.sessionIdOf(token);
    return app()
        .ask(
            new OrganizationProtocol.StartGithubSession(
                sessionId, userId, email, githubAccountId, activeOrganizationId))
        .thenApply(
            started -> {
              purgeExpired();
              return new Opened(token, sessionId, userId, activeOrganizationId);
            });
  }

  /**
   * Removes the sessions older than the TTL from the index (a batch of at most {@link
   * OrganizationProtocol#PURGE_BATCH}; each sign-in takes the next). Nobody waits for it: a failure
   * is logged, and the next sign-in tries again.
   */
  public CompletionStage<Integer> purgeExpired() {
    long createdBefore = clock.instant().minus(cookie.ttl()).toEpochMilli();
    CompletionStage<Integer> purged =
        app().ask(new OrganizationProtocol.PurgeExpiredSessions(createdBefore));
    purged.whenComplete(
        (n, failure) -> {
          if (failure != null) {
            log.warn("expired sessions not purged: {}", failure.toString());
          } else if (n > 0) {
            log.info("purged {} expired session(s)", n);
          }
        });
    return purged;
  }

  /**
   * Ends the request's session, if it has one, and tells the {@link #onSessionEnded} listeners once
   * it is removed; answers whether one was ended.
   */
  public CompletionStage<Boolean> signOut(HttpRequest request) {
    Optional<String> token = cookie.tokenOf(request);
    if (token.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    String sessionId = cookie.sessionIdOf(token.get());
    return app()
        .ask(new OrganizationProtocol.RemoveSession(sessionId))
        .thenApply(
            removed -> {
              if (removed) {
                ended(sessionId);
              }
              return removed;
            });
  }

  private DurableRef<OrganizationProtocol.Command<?>> app() {
    return runtime.getOrCreate(
        OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP));
  }
}
