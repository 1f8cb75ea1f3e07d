package dev.foundry.backend.organization;

import static dev.foundry.backend.organization.OrganizationActor.blank;
import static dev.foundry.backend.organization.OrganizationActor.now;

import dev.foundry.backend.organization.OrganizationEvents.AccountIndexed;
import dev.foundry.backend.organization.OrganizationEvents.ActiveOrganizationSelected;
import dev.foundry.backend.organization.OrganizationEvents.EmailIndexed;
import dev.foundry.backend.organization.OrganizationEvents.Event;
import dev.foundry.backend.organization.OrganizationEvents.SessionIndexed;
import dev.foundry.backend.organization.OrganizationEvents.SessionRemoved;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexAccount;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexEmail;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexSession;
import dev.foundry.backend.protocol.OrganizationProtocol.InitializeOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.LocalSignIn;
import dev.foundry.backend.protocol.OrganizationProtocol.PurgeExpiredSessions;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveSession;
import dev.foundry.backend.protocol.OrganizationProtocol.SelectOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.SessionEntry;
import dev.foundry.backend.protocol.OrganizationProtocol.SignInLocalUser;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.realtime.RealtimeEvents;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code app} instance's role: routing indexes from sessions, e-mails and OAuth accounts to
 * user actors, the active organization of each session, and the dev sign-in. Its commands never
 * wait on slow work (auth must not queue behind it). After a session's active organization changes
 * or the session goes, that user's app snapshot is published to them only.
 */
final class AppIndex {
  /**
   * Static on purpose: snapshots are published from a completion callback, off the actor thread,
   * where the actor context's logger must not be used.
   */
  private static final Logger LOG = LoggerFactory.getLogger(AppIndex.class);

  private final DurableRuntime runtime;

  AppIndex(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  Decision<Boolean> indexSession(IndexSession cmd, OrganizationTables tables) {
    if (blank(cmd.sessionId()) || blank(cmd.userId())) {
      return Decision.reject("invalid_session", "sessionId and userId are required");
    }
    return Decision.<Boolean>persist(new SessionIndexed(cmd.sessionId(), cmd.userId(), now()))
        .thenReply(() -> true);
  }

  Decision<Boolean> removeSession(RemoveSession cmd, OrganizationTables tables) {
    SessionEntry entry = tables.session(cmd.sessionId());
    if (entry == null) {
      return Decision.reply(false);
    }
    return Decision.<Boolean>persist(new SessionRemoved(cmd.sessionId(), entry.userId()))
        .thenReply(() -> true);
  }

  Decision<Integer> purgeExpiredSessions(PurgeExpiredSessions cmd, OrganizationTables tables) {
    List<SessionEntry> expired =
        tables.sessionsCreatedBefore(cmd.createdBefore(), OrganizationProtocol.PURGE_BATCH);
    if (expired.isEmpty()) {
      return Decision.reply(0);
    }
    return Decision.<Integer>persist(
            expired.stream().map(s -> new SessionRemoved(s.sessionId(), s.userId())).toList())
        .thenReply(expired::size);
  }

  Decision<Boolean> indexEmail(IndexEmail cmd, OrganizationTables tables) {
    if (blank(cmd.email()) || !cmd.email().contains("@") || blank(cmd.userId())) {
      return Decision.reject("invalid_email", "a valid e-mail and a userId are required");
    }
    return Decision.<Boolean>persist(
            new EmailIndexed(cmd.email().strip().toLowerCase(Locale.ROOT), cmd.userId(), now()))
        .thenReply(() -> true);
  }

  Decision<Boolean> indexAccount(IndexAccount cmd, OrganizationTables tables) {
    if (blank(cmd.providerId()) || blank(cmd.accountId()) || blank(cmd.userId())) {
      return Decision.reject("invalid_account", "providerId, accountId and userId are required");
    }
    return Decision.<Boolean>persist(
            new AccountIndexed(cmd.providerId(), cmd.accountId(), cmd.userId(), now()))
        .thenReply(() -> true);
  }

  Decision<String> selectOrganization(SelectOrganization cmd, OrganizationTables tables) {
    SessionEntry session = tables.session(cmd.sessionId());
    if (session == null) {
      return Decision.reject("not_signed_in", "session " + cmd.sessionId() + " is not signed in");
    }
    CompletionStage<FoundryUser> profile =
        runtime
            .get(UserProtocol.TYPE, UserProtocol.key(session.userId()))
            .queryIfExists(new UserProtocol.GetProfile());
    return Decision.after(
        profile,
        user -> {
          if (user == null || !user.eligibleOrganizationIds().contains(cmd.organizationId())) {
            return Decision.reject(
                "organization_not_eligible",
                "organization "
                    + cmd.organizationId()
                    + " is not one of this user's organizations");
          }
          return Decision.<String>persist(
                  new ActiveOrganizationSelected(
                      cmd.sessionId(), session.userId(), cmd.organizationId(), now()))
              .thenReply(cmd::organizationId);
        });
  }

  Decision<LocalSignIn> signInLocalUser(SignInLocalUser cmd, OrganizationTables tables) {
    String slug = OrganizationIds.slug(cmd.login());
    if (slug.isEmpty()) {
      return Decision.reject("invalid_login", "a login needs at least one letter or digit");
    }
    if (blank(cmd.sessionId())) {
      return Decision.reject("invalid_session", "a session id is required");
    }
    String userId = "local-" + slug;
    String organizationId = OrganizationIds.personal(cmd.login());
    String name = blank(cmd.name()) ? cmd.login() : cmd.name();
    String email = blank(cmd.email()) ? slug + "@localhost" : cmd.email();
    CompletionStage<FoundryOrganization> ready =
        runtime
            .getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId))
            .ask(
                new UserProtocol.UpsertProfile(
                    name, email, null, null, cmd.login(), "Local user", List.of(organizationId)))
            .thenCompose(
                user ->
                    runtime
                        .getOrCreate(
                            OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId))
                        .ask(
                            new InitializeOrganization(
                                "personal",
                                cmd.login(),
                                name,
                                new FoundryOrganizationMember(
                                    userId, name, email, "owner", "active"))));
    return Decision.after(
        ready,
        org -> {
          long at = now();
          return Decision.<LocalSignIn>persist(
                  new SessionIndexed(cmd.sessionId(), userId, at),
                  new EmailIndexed(email.toLowerCase(Locale.ROOT), userId, at),
                  new ActiveOrganizationSelected(cmd.sessionId(), userId, organizationId, at))
              .thenReply(() -> new LocalSignIn(userId, organizationId));
        });
  }

  Decision<Boolean> startGithubSession(
      OrganizationProtocol.StartGithubSession cmd, OrganizationTables tables) {
    if (blank(cmd.sessionId()) || blank(cmd.userId()) || blank(cmd.githubAccountId())) {
      return Decision.reject(
          "invalid_session", "sessionId, userId and githubAccountId are required");
    }
    long at = now();
    List<Event> events = new java.util.ArrayList<>();
    events.add(new SessionIndexed(cmd.sessionId(), cmd.userId(), at));
    if (!blank(cmd.email()) && cmd.email().contains("@")) {
      events.add(new EmailIndexed(cmd.email().strip().toLowerCase(Locale.ROOT), cmd.userId(), at));
    }
    events.add(new AccountIndexed("github", cmd.githubAccountId(), cmd.userId(), at));
    if (!blank(cmd.activeOrganizationId())) {
      events.add(
          new ActiveOrganizationSelected(
              cmd.sessionId(), cmd.userId(), cmd.activeOrganizationId(), at));
    }
    return Decision.<Boolean>persist(events).thenReply(() -> true);
  }

  /**
   * The app snapshot of each user whose session changed, to that user only; built only when anyone
   * subscribes to the app topic. Runs off the actor thread once the reads complete.
   */
  /**
   * The app snapshot of each of {@code userIds} (an organization's members after its billing or
   * membership changed), each with the active organization of their latest session.
   */
  void publishAppSnapshotsOf(List<String> userIds) {
    if (!runtime.hub().hasSubscribers(RealtimeEvents.APP_TOPIC, OrganizationIds.APP)) {
      return;
    }
    var appInstance =
        runtime.getOrCreate(
            OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP));
    for (String userId : userIds) {
      appInstance
          .query(new OrganizationProtocol.FindActiveOrganization(userId))
          .thenAccept(active -> publishAppSnapshot(userId, active))
          .exceptionally(
              failure -> {
                LOG.warn("app snapshot for {} not published: {}", userId, failure.toString());
                return null;
              });
    }
  }

  void publishAppSnapshots(List<Event> events) {
    for (Event event : events) {
      String userId = null;
      String activeOrganizationId = null;
      if (event instanceof ActiveOrganizationSelected e) {
        userId = e.userId();
        activeOrganizationId = e.organizationId();
      } else if (event instanceof SessionRemoved e) {
        userId = e.userId();
      }
      if (userId != null
          && runtime.hub().hasSubscribers(RealtimeEvents.APP_TOPIC, OrganizationIds.APP)) {
        publishAppSnapshot(userId, activeOrganizationId);
      }
    }
  }

  /** Builds the user's snapshot off the actor thread and publishes it to that user only. */
  private void publishAppSnapshot(String userId, String activeOrganizationId) {
    AppSnapshots.snapshotForUser(runtime, userId, activeOrganizationId)
        .thenAccept(
            snapshot ->
                runtime
                    .hub()
                    .publish(
                        new Publication(
                            RealtimeEvents.APP_TOPIC,
                            OrganizationIds.APP,
                            RealtimeEvents.APP_UPDATED,
                            snapshot,
                            userId)))
        .exceptionally(
            failure -> {
              LOG.warn("app snapshot for {} not published: {}", userId, failure.toString());
              return null;
            });
  }
}
