package dev.foundry.backend.protocol;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorType;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.shared.app.FoundryAppSnapshot.ProviderCredentials;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.inbox.UserInbox;
import dev.foundry.shared.workspace.WorkspaceComposerDraft;
import dev.foundry.shared.workspace.WorkspaceLineAttachment;
import java.util.List;

/** How other actors and the HTTP layer talk to a user actor: profile, per-task state, inbox. */
public final class UserProtocol {
  private UserProtocol() {}

  /** The persisted name {@code "user"} and the command root: how callers address a user. */
  public static final ActorType<Command<?>> TYPE = ActorType.of("user", Command.class);

  /** One user, across organizations (upstream keys users under the app organization). */
  public record UserAddress(String userId) {
    public ActorKey key() {
      return ActorKey.of("org", "app", "user", userId);
    }

    public static UserAddress of(ActorKey key) {
      return new UserAddress(key.segments().get(3));
    }
  }

  public static ActorKey key(String userId) {
    return new UserAddress(userId).key();
  }

  // 2. Commands -------------------------------------------------------------------------------

  public sealed interface Command<R> extends DurableCommand<R> {}

  /**
   * Creates the profile or changes the given fields (null keeps the current value; on creation null
   * name/email become "" and the role label "GitHub user").
   */
  @JsonTypeName("user.upsert-profile")
  public record UpsertProfile(
      String name,
      String email,
      String image,
      String githubAccountId,
      String githubLogin,
      String roleLabel,
      List<String> eligibleOrganizationIds)
      implements Command<FoundryUser> {}

  @JsonTypeName("user.set-default-model")
  public record SetDefaultModel(String model) implements Command<FoundryUser> {}

  /**
   * Changes this user's state of one session of one task; null fields keep their value. {@code
   * activeSessionId} is written to every row of the task.
   */
  @JsonTypeName("user.upsert-task-state")
  public record UpsertTaskState(
      String taskId,
      String sessionId,
      String activeSessionId,
      Boolean unread,
      String draftText,
      List<WorkspaceLineAttachment> draftAttachments)
      implements Command<UserTaskState> {}

  /** Forgets this user's state of one session of a task, or of the whole task without one. */
  @JsonTypeName("user.delete-task-state")
  public record DeleteTaskState(String taskId, String sessionId) implements Command<Boolean> {}

  /** A command about one agent provider's credential (the provider is checked once, by a guard). */
  public sealed interface ProviderCommand<R> extends Command<R> {
    String provider();
  }

  /** Stores an agent credential already sealed by {@link CredentialCipher}. */
  @JsonTypeName("user.store-provider-credential")
  public record StoreProviderCredential(
      String provider, SealedCredential credential, String filePath)
      implements ProviderCommand<ProviderCredentials> {}

  /**
   * Stores the user's GitHub account and OAuth token, the token sealed by {@code CredentialCipher}
   * (provider {@code github}); a new sign-in replaces it. {@code tokenExpiresAt} (epoch ms) is null
   * when GitHub set no expiry.
   */
  @JsonTypeName("user.store-github-account")
  public record StoreGithubAccount(
      String accountId, String login, String scope, SealedCredential token, Long tokenExpiresAt)
      implements Command<Boolean> {}

  @JsonTypeName("user.remove-provider-credential")
  public record RemoveProviderCredential(String provider)
      implements ProviderCommand<ProviderCredentials> {}

  /** Moves a task to the top of the user's feed and marks it unread there. */
  @JsonTypeName("user.bump-task")
  public record BumpTask(
      String organizationId, String repoId, String taskId, String title, String reason)
      implements Command<UserInbox> {}

  /** Adds a notification; answers its id. */
  @JsonTypeName("user.notify")
  public record Notify(String organizationId, String taskId, String kind, String message)
      implements Command<Long> {}

  @JsonTypeName("user.mark-task-read")
  public record MarkTaskRead(String taskId) implements Command<UserInbox> {}

  @JsonTypeName("user.mark-notification-read")
  public record MarkNotificationRead(long notificationId) implements Command<UserInbox> {}

  /**
   * Claims an {@code Idempotency-Key} of this user for one request ({@code requestHash}: SHA-256 of
   * method, path and body) by the server run {@code runId}. Answers what the caller does next: run
   * the request ({@code CLAIMED}, also when a crashed or older run left the key in flight), answer
   * the kept result ({@code COMPLETED}), or refuse ({@code IN_USE}, {@code REUSED}). Keys older
   * than {@link #IDEMPOTENCY_KEY_TTL_MS} are purged first, so they count as new.
   */
  @JsonTypeName("user.claim-idempotency-key")
  public record ClaimIdempotencyKey(String key, String requestHash, String runId)
      implements Command<IdempotencyClaim> {}

  /** Keeps the answer of a claimed key (only while {@code runId} still holds it). */
  @JsonTypeName("user.complete-idempotency-key")
  public record CompleteIdempotencyKey(String key, String runId, int status, String body)
      implements Command<Boolean> {}

  /** Forgets a claimed key whose request ended without a final answer, so a retry runs again. */
  @JsonTypeName("user.release-idempotency-key")
  public record ReleaseIdempotencyKey(String key, String runId) implements Command<Boolean> {}

  /** How long a user's Idempotency-Key is kept: 24 h. */
  public static final long IDEMPOTENCY_KEY_TTL_MS = 24L * 60 * 60 * 1000;

  /**
   * How long a claim by the running server counts as in flight: longer than any waited command, so
   * only a claim whose completion was lost expires this way.
   */
  public static final long IDEMPOTENCY_CLAIM_LEASE_MS = 10L * 60 * 1000;

  /** The answer to {@link ClaimIdempotencyKey}; {@code status} and {@code body} when completed. */
  public record IdempotencyClaim(Outcome outcome, Integer status, String body) {
    public enum Outcome {
      CLAIMED,
      COMPLETED,
      IN_USE,
      REUSED
    }
  }

  // 4. Queries --------------------------------------------------------------------------------

  /** The profile as the app shows it, or null when the user has none yet. */
  public record GetProfile() implements ActorQuery<FoundryUser> {}

  public record GetTaskState(String taskId) implements ActorQuery<UserTaskState> {}

  /** Which providers have a stored credential; never the credentials. */
  public record GetProviderCredentialStatus() implements ActorQuery<ProviderCredentials> {}

  public record GetInbox() implements ActorQuery<UserInbox> {}

  /** One user's state of one task: the selected session and, per session, unread and draft. */
  public record UserTaskState(String taskId, String activeSessionId, List<SessionState> sessions) {

    public record SessionState(
        String sessionId, boolean unread, WorkspaceComposerDraft draft, long updatedAt) {}

    /** This user's state of {@code sessionId}, or null when they never touched it. */
    public SessionState session(String sessionId) {
      return sessions.stream()
          .filter(s -> s.sessionId().equals(sessionId))
          .findFirst()
          .orElse(null);
    }
  }

  /**
   * An agent credential sealed with AES-256-GCM: base64 of the 12-byte nonce and of the ciphertext
   * with its tag. Opening needs the key and the same user and provider (they are the associated
   * data).
   */
  public record SealedCredential(String nonce, String ciphertext) {
    @Override
    public String toString() {
      return "SealedCredential[" + ciphertext.length() + " chars]";
    }
  }
}
