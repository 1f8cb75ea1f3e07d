package dev.foundry.backend.user;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.BumpTask;
import dev.foundry.backend.protocol.UserProtocol.ClaimIdempotencyKey;
import dev.foundry.backend.protocol.UserProtocol.Command;
import dev.foundry.backend.protocol.UserProtocol.CompleteIdempotencyKey;
import dev.foundry.backend.protocol.UserProtocol.DeleteTaskState;
import dev.foundry.backend.protocol.UserProtocol.GetInbox;
import dev.foundry.backend.protocol.UserProtocol.GetProfile;
import dev.foundry.backend.protocol.UserProtocol.GetProviderCredentialStatus;
import dev.foundry.backend.protocol.UserProtocol.GetTaskState;
import dev.foundry.backend.protocol.UserProtocol.IdempotencyClaim;
import dev.foundry.backend.protocol.UserProtocol.IdempotencyClaim.Outcome;
import dev.foundry.backend.protocol.UserProtocol.MarkNotificationRead;
import dev.foundry.backend.protocol.UserProtocol.MarkTaskRead;
import dev.foundry.backend.protocol.UserProtocol.Notify;
import dev.foundry.backend.protocol.UserProtocol.ProviderCommand;
import dev.foundry.backend.protocol.UserProtocol.ReleaseIdempotencyKey;
import dev.foundry.backend.protocol.UserProtocol.RemoveProviderCredential;
import dev.foundry.backend.protocol.UserProtocol.SealedCredential;
import dev.foundry.backend.protocol.UserProtocol.SetDefaultModel;
import dev.foundry.backend.protocol.UserProtocol.StoreProviderCredential;
import dev.foundry.backend.protocol.UserProtocol.UpsertProfile;
import dev.foundry.backend.protocol.UserProtocol.UpsertTaskState;
import dev.foundry.backend.protocol.UserProtocol.UserAddress;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.shared.app.FoundryAppSnapshot.ProviderCredentials;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.inbox.UserInbox;
import dev.foundry.shared.realtime.RealtimeEvents;
import dev.foundry.shared.workspace.WorkspaceLineAttachment;
import dev.foundry.shared.workspace.WorkspaceModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One user's Foundry state. Every operation is a single-row change with no outside work, so all
 * mutations are commands decided on the fast path: they never wait behind slow work (spec §6.0).
 */
public final class UserActor
    extends DurableActor<UserProtocol.Command<?>, UserActor.Event, UserTables> {

  public static final Set<String> PROVIDERS = Set.of("anthropic", "openai");
  public static final int INBOX_LIMIT = 50;

  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, UserTables> KIND =
      ActorKind.bind(UserProtocol.TYPE, Event.class, UserTables::new, UserActor::new);

  // 3. Events ---------------------------------------------------------------------------------

  public sealed interface Event extends DurableEvent {}

  @JsonTypeName("user.profile-upserted")
  public record ProfileUpserted(
      String userId,
      String name,
      String email,
      String image,
      String githubAccountId,
      String githubLogin,
      String roleLabel,
      List<String> eligibleOrganizationIds,
      long at)
      implements Event {}

  @JsonTypeName("user.default-model-changed")
  public record DefaultModelChanged(String model, long at) implements Event {}

  /** The full new state of one (task, session) row, merged by the handler. */
  @JsonTypeName("user.task-state-upserted")
  public record TaskStateUpserted(
      String taskId,
      String sessionId,
      String activeSessionId,
      boolean activeSessionChanged,
      boolean unread,
      String draftText,
      List<WorkspaceLineAttachment> draftAttachments,
      Long draftUpdatedAt,
      long at)
      implements Event {}

  @JsonTypeName("user.task-state-deleted")
  public record TaskStateDeleted(String taskId, String sessionId) implements Event {}

  @JsonTypeName("user.github-account-stored")
  public record GithubAccountStored(
      String accountId,
      String login,
      String scope,
      SealedCredential token,
      Long tokenExpiresAt,
      long at)
      implements Event {}

  @JsonTypeName("user.provider-credential-stored")
  public record ProviderCredentialStored(
      String provider, SealedCredential credential, String filePath, long at) implements Event {}

  @JsonTypeName("user.provider-credential-removed")
  public record ProviderCredentialRemoved(String provider) implements Event {}

  @JsonTypeName("user.task-bumped")
  public record TaskBumped(
      String organizationId, String repoId, String taskId, String title, String reason, long at)
      implements Event {}

  @JsonTypeName("user.notification-added")
  public record NotificationAdded(
      long id, String organizationId, String taskId, String kind, String message, long at)
      implements Event {}

  @JsonTypeName("user.task-feed-read")
  public record TaskFeedRead(String taskId) implements Event {}

  @JsonTypeName("user.notification-read")
  public record NotificationRead(long id, long at) implements Event {}

  @JsonTypeName("user.idempotency-key-claimed")
  public record IdempotencyKeyClaimed(String key, String requestHash, String runId, long at)
      implements Event {}

  @JsonTypeName("user.idempotency-key-completed")
  public record IdempotencyKeyCompleted(String key, int status, String body, long at)
      implements Event {}

  @JsonTypeName("user.idempotency-key-released")
  public record IdempotencyKeyReleased(String key) implements Event {}

  /** Every key created before {@code before} is forgotten. */
  @JsonTypeName("user.idempotency-keys-purged")
  public record IdempotencyKeysPurged(long before) implements Event {}

  // Queries of this package only

  /** The sealed credentials, for {@link ProviderCredentialStore} to open. */
  public record GetSealedCredentials() implements ActorQuery<List<StoredCredential>> {}

  /** The GitHub account with its sealed token, for {@link GithubAccountStore}; null when none. */
  public record GetGithubAccount() implements ActorQuery<StoredGithubAccount> {}

  // 5. Handlers -------------------------------------------------------------------------------

  private UserActor(ActorSetup<UserTables> setup) {
    super(setup);
  }

  private String userId() {
    return UserAddress.of(key()).userId();
  }

  @Override
  protected void handlers(Handlers<Command<?>, UserTables> on) {
    on.command(UpsertProfile.class, this::upsertProfile)
        .command(SetDefaultModel.class, this::setDefaultModel)
        .command(UpsertTaskState.class, this::upsertTaskState)
        .command(DeleteTaskState.class, this::deleteTaskState)
        .command(BumpTask.class, this::bumpTask)
        .command(Notify.class, this::notify)
        .command(MarkTaskRead.class, this::markTaskRead)
        .command(MarkNotificationRead.class, this::markNotificationRead)
        .command(ClaimIdempotencyKey.class, this::claimIdempotencyKey)
        .command(CompleteIdempotencyKey.class, this::completeIdempotencyKey)
        .command(ReleaseIdempotencyKey.class, this::releaseIdempotencyKey)
        .command(UserProtocol.StoreGithubAccount.class, this::storeGithubAccount)
        .query(GetProfile.class, (q, t) -> t.profile())
        .keptQuery(GetTaskState.class, (q, t) -> t.taskState(q.taskId()))
        .query(GetProviderCredentialStatus.class, (q, t) -> t.credentialStatus())
        .query(GetSealedCredentials.class, (q, t) -> t.sealedCredentials())
        .query(GetGithubAccount.class, (q, t) -> t.githubAccount())
        .query(GetInbox.class, (q, t) -> t.inbox(INBOX_LIMIT));
    on.inState(UserActor::knownProvider)
        .command(StoreProviderCredential.class, this::storeCredential)
        .command(RemoveProviderCredential.class, this::removeCredential);
  }

  /** Credentials are kept only for the providers the sandbox agents know. */
  private static Decision<?> knownProvider(DurableCommand<?> command, UserTables tables) {
    String provider = ((ProviderCommand<?>) command).provider();
    return PROVIDERS.contains(provider)
        ? null
        : Decision.reject(
            "invalid_provider", "provider must be one of " + PROVIDERS + ", got " + provider);
  }

  private Decision<FoundryUser> upsertProfile(UpsertProfile cmd, UserTables tables) {
    FoundryUser current = tables.profile();
    UserTables.ProfileExtras extras = tables.profileExtras();
    ProfileUpserted event =
        new ProfileUpserted(
            userId(),
            pick(cmd.name(), current == null ? "" : current.name()),
            pick(cmd.email(), current == null ? "" : current.email()),
            pick(cmd.image(), extras == null ? null : extras.image()),
            pick(cmd.githubAccountId(), extras == null ? null : extras.githubAccountId()),
            pick(cmd.githubLogin(), current == null ? null : current.githubLogin()),
            pick(cmd.roleLabel(), current == null ? "GitHub user" : current.roleLabel()),
            cmd.eligibleOrganizationIds() != null
                ? List.copyOf(cmd.eligibleOrganizationIds())
                : current == null ? List.of() : current.eligibleOrganizationIds(),
            now());
    return Decision.<FoundryUser>persist(event).thenReply(tables::profile);
  }

  private Decision<FoundryUser> setDefaultModel(SetDefaultModel cmd, UserTables tables) {
    if (cmd.model() == null || cmd.model().isBlank()) {
      return Decision.reject("invalid_model", "a model id must not be blank");
    }
    if (tables.profile() == null) {
      return Decision.reject("user_not_found", "user " + userId() + " has no profile yet");
    }
    return Decision.<FoundryUser>persist(new DefaultModelChanged(cmd.model().strip(), now()))
        .thenReply(tables::profile);
  }

  private Decision<UserTaskState> upsertTaskState(UpsertTaskState cmd, UserTables tables) {
    if (blank(cmd.taskId()) || blank(cmd.sessionId())) {
      return Decision.reject("invalid_task_state", "taskId and sessionId are required");
    }
    UserTaskState.SessionState current = tables.sessionState(cmd.taskId(), cmd.sessionId());
    boolean draftChanged = cmd.draftText() != null || cmd.draftAttachments() != null;
    long now = now();
    String active = tables.taskState(cmd.taskId()).activeSessionId();
    TaskStateUpserted event =
        new TaskStateUpserted(
            cmd.taskId(),
            cmd.sessionId(),
            cmd.activeSessionId() != null ? cmd.activeSessionId() : active,
            cmd.activeSessionId() != null,
            cmd.unread() != null ? cmd.unread() : current != null && current.unread(),
            cmd.draftText() != null
                ? cmd.draftText()
                : current == null ? "" : current.draft().text(),
            cmd.draftAttachments() != null
                ? List.copyOf(cmd.draftAttachments())
                : current == null ? List.of() : current.draft().attachments(),
            draftChanged
                ? Long.valueOf(now)
                : current == null ? null : current.draft().updatedAtMs(),
            now);
    return Decision.<UserTaskState>persist(event).thenReply(() -> tables.taskState(cmd.taskId()));
  }

  private Decision<Boolean> deleteTaskState(DeleteTaskState cmd, UserTables tables) {
    if (blank(cmd.taskId())) {
      return Decision.reject("invalid_task_state", "taskId is required");
    }
    if (tables.taskState(cmd.taskId()).sessions().isEmpty()) {
      return Decision.reply(false);
    }
    return Decision.<Boolean>persist(new TaskStateDeleted(cmd.taskId(), cmd.sessionId()))
        .thenReply(() -> true);
  }

  private Decision<ProviderCredentials> storeCredential(
      StoreProviderCredential cmd, UserTables tables) {
    if (cmd.credential() == null || blank(cmd.filePath())) {
      return Decision.reject("invalid_credential", "a sealed credential and its file path");
    }
    return Decision.<ProviderCredentials>persist(
            new ProviderCredentialStored(cmd.provider(), cmd.credential(), cmd.filePath(), now()))
        .thenReply(tables::credentialStatus);
  }

  private Decision<Boolean> storeGithubAccount(
      UserProtocol.StoreGithubAccount cmd, UserTables tables) {
    if (blank(cmd.accountId()) || blank(cmd.login()) || cmd.token() == null) {
      return Decision.reject("invalid_account", "accountId, login and a sealed token are required");
    }
    return Decision.<Boolean>persist(
            new GithubAccountStored(
                cmd.accountId(),
                cmd.login(),
                cmd.scope() == null ? "" : cmd.scope(),
                cmd.token(),
                cmd.tokenExpiresAt(),
                now()))
        .thenReply(() -> true);
  }

  private Decision<ProviderCredentials> removeCredential(
      RemoveProviderCredential cmd, UserTables tables) {
    return Decision.<ProviderCredentials>persist(new ProviderCredentialRemoved(cmd.provider()))
        .thenReply(tables::credentialStatus);
  }

  private Decision<UserInbox> bumpTask(BumpTask cmd, UserTables tables) {
    if (blank(cmd.organizationId()) || blank(cmd.taskId()) || blank(cmd.reason())) {
      return Decision.reject("invalid_bump", "organizationId, taskId and reason are required");
    }
    // Strictly increasing, so two bumps within one millisecond still order.
    long at = Math.max(now(), tables.latestBump() + 1);
    return Decision.<UserInbox>persist(
            new TaskBumped(
                cmd.organizationId(),
                cmd.repoId(),
                cmd.taskId(),
                cmd.title() == null ? "" : cmd.title(),
                cmd.reason(),
                at))
        .thenReply(() -> tables.inbox(INBOX_LIMIT));
  }

  private Decision<Long> notify(Notify cmd, UserTables tables) {
    if (blank(cmd.organizationId()) || blank(cmd.kind()) || blank(cmd.message())) {
      return Decision.reject(
          "invalid_notification", "organizationId, kind and message are required");
    }
    long id = tables.nextNotificationId();
    return Decision.<Long>persist(
            new NotificationAdded(
                id, cmd.organizationId(), cmd.taskId(), cmd.kind(), cmd.message(), now()))
        .thenReply(() -> id);
  }

  private Decision<UserInbox> markTaskRead(MarkTaskRead cmd, UserTables tables) {
    if (!tables.inFeed(cmd.taskId())) {
      return Decision.reject("task_not_in_feed", "task " + cmd.taskId() + " is not in the feed");
    }
    return Decision.<UserInbox>persist(new TaskFeedRead(cmd.taskId()))
        .thenReply(() -> tables.inbox(INBOX_LIMIT));
  }

  private Decision<UserInbox> markNotificationRead(MarkNotificationRead cmd, UserTables tables) {
    if (!tables.notificationExists(cmd.notificationId())) {
      return Decision.reject("notification_not_found", "no notification " + cmd.notificationId());
    }
    return Decision.<UserInbox>persist(new NotificationRead(cmd.notificationId(), now()))
        .thenReply(() -> tables.inbox(INBOX_LIMIT));
  }

  private Decision<IdempotencyClaim> claimIdempotencyKey(
      ClaimIdempotencyKey cmd, UserTables tables) {
    if (blank(cmd.key()) || blank(cmd.requestHash()) || blank(cmd.runId())) {
      return Decision.reject("invalid_idempotency_key", "key, request hash and run id");
    }
    long now = now();
    long expiredBefore = now - UserProtocol.IDEMPOTENCY_KEY_TTL_MS;
    List<Event> events = new ArrayList<>(2);
    if (tables.hasIdempotencyKeysBefore(expiredBefore)) {
      events.add(new IdempotencyKeysPurged(expiredBefore));
    }
    UserTables.IdempotencyKey held = tables.idempotencyKey(cmd.key());
    if (held != null && held.createdAt() >= expiredBefore) {
      if (!held.requestHash().equals(cmd.requestHash())) {
        return answer(events, new IdempotencyClaim(Outcome.REUSED, null, null));
      }
      if (held.status() != null) {
        return answer(events, new IdempotencyClaim(Outcome.COMPLETED, held.status(), held.body()));
      }
      boolean stale =
          !held.runId().equals(cmd.runId())
              || held.claimedAt() < now - UserProtocol.IDEMPOTENCY_CLAIM_LEASE_MS;
      if (!stale) {
        return answer(events, new IdempotencyClaim(Outcome.IN_USE, null, null));
      }
      // The run that claimed it is gone (a crash or a restart) or lost its completion: take over.
    }
    events.add(new IdempotencyKeyClaimed(cmd.key(), cmd.requestHash(), cmd.runId(), now));
    return Decision.<IdempotencyClaim>persist(events)
        .thenReply(() -> new IdempotencyClaim(Outcome.CLAIMED, null, null));
  }

  private static Decision<IdempotencyClaim> answer(List<Event> purge, IdempotencyClaim claim) {
    return purge.isEmpty()
        ? Decision.reply(claim)
        : Decision.<IdempotencyClaim>persist(purge).thenReply(() -> claim);
  }

  private Decision<Boolean> completeIdempotencyKey(CompleteIdempotencyKey cmd, UserTables tables) {
    if (!heldInFlight(tables.idempotencyKey(cmd.key()), cmd.runId())) {
      return Decision.reply(false);
    }
    return Decision.<Boolean>persist(
            new IdempotencyKeyCompleted(cmd.key(), cmd.status(), cmd.body(), now()))
        .thenReply(() -> true);
  }

  private Decision<Boolean> releaseIdempotencyKey(ReleaseIdempotencyKey cmd, UserTables tables) {
    if (!heldInFlight(tables.idempotencyKey(cmd.key()), cmd.runId())) {
      return Decision.reply(false);
    }
    return Decision.<Boolean>persist(new IdempotencyKeyReleased(cmd.key())).thenReply(() -> true);
  }

  private static boolean heldInFlight(UserTables.IdempotencyKey held, String runId) {
    return held != null && held.status() == null && held.runId().equals(runId);
  }

  // 6. Broadcast after apply ------------------------------------------------------------------

  @Override
  protected void afterApply(List<Event> events, UserTables tables) {
    boolean inboxChanged =
        events.stream()
            .anyMatch(
                e ->
                    e instanceof TaskBumped
                        || e instanceof NotificationAdded
                        || e instanceof TaskFeedRead
                        || e instanceof NotificationRead);
    if (inboxChanged) {
      publish(
          new Publication(
              RealtimeEvents.USER_TOPIC,
              userId(),
              RealtimeEvents.USER_FEED_UPDATED,
              tables.inbox(INBOX_LIMIT),
              userId()));
    }
  }

  // helpers -----------------------------------------------------------------------------------

  static String defaultModel() {
    return WorkspaceModels.DEFAULT_MODEL_ID;
  }

  private static <V> V pick(V given, V current) {
    return given != null ? given : current;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
