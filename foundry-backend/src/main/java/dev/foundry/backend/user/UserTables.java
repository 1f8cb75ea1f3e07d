package dev.foundry.backend.user;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.foundry.backend.protocol.UserProtocol.SealedCredential;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.ActorTables;
import dev.foundry.shared.app.FoundryAppSnapshot.ProviderCredentials;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.inbox.UserInbox;
import dev.foundry.shared.inbox.UserNotification;
import dev.foundry.shared.inbox.UserTaskFeedEntry;
import dev.foundry.shared.workspace.WorkspaceComposerDraft;
import dev.foundry.shared.workspace.WorkspaceLineAttachment;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The user actor's tables: profile, task state, sealed credentials, feed and notifications. */
public final class UserTables extends ActorTables<UserActor.Event> {

  UserTables(Connection db) {
    super(db);
    on(UserActor.ProfileUpserted.class, this::profileUpserted);
    on(UserActor.DefaultModelChanged.class, this::defaultModelChanged);
    on(UserActor.TaskStateUpserted.class, this::taskStateUpserted);
    on(UserActor.TaskStateDeleted.class, this::taskStateDeleted);
    on(UserActor.ProviderCredentialStored.class, this::providerCredentialStored);
    on(UserActor.GithubAccountStored.class, this::githubAccountStored);
    on(UserActor.ProviderCredentialRemoved.class, this::providerCredentialRemoved);
    on(UserActor.TaskBumped.class, this::taskBumped);
    on(UserActor.NotificationAdded.class, this::notificationAdded);
    on(UserActor.TaskFeedRead.class, this::taskFeedRead);
    on(UserActor.NotificationRead.class, this::notificationRead);
    on(UserActor.IdempotencyKeyClaimed.class, this::idempotencyKeyClaimed);
    on(UserActor.IdempotencyKeyCompleted.class, this::idempotencyKeyCompleted);
    on(UserActor.IdempotencyKeyReleased.class, this::idempotencyKeyReleased);
    on(UserActor.IdempotencyKeysPurged.class, this::idempotencyKeysPurged);
  }

  record ProfileExtras(String image, String githubAccountId) {}

  /** One kept Idempotency-Key; {@code status} is null while its request is in flight. */
  record IdempotencyKey(
      String requestHash,
      String runId,
      Integer status,
      String body,
      long createdAt,
      long claimedAt) {}

  private void idempotencyKeyClaimed(UserActor.IdempotencyKeyClaimed e) throws SQLException {
    // A takeover of a stale claim keeps the key's creation time (its 24 h count from the first).
    exec(
        "INSERT INTO user_idempotency_keys (idempotency_key, request_hash, run_id, created_at,"
            + " claimed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO UPDATE"
            + " SET request_hash = excluded.request_hash, run_id = excluded.run_id,"
            + " status = NULL, body = NULL, claimed_at = excluded.claimed_at",
        e.key(),
        e.requestHash(),
        e.runId(),
        e.at(),
        e.at());
  }

  private void idempotencyKeyCompleted(UserActor.IdempotencyKeyCompleted e) throws SQLException {
    exec(
        "UPDATE user_idempotency_keys SET status = ?, body = ? WHERE idempotency_key = ?",
        e.status(),
        e.body(),
        e.key());
  }

  private void idempotencyKeyReleased(UserActor.IdempotencyKeyReleased e) throws SQLException {
    exec("DELETE FROM user_idempotency_keys WHERE idempotency_key = ?", e.key());
  }

  private void idempotencyKeysPurged(UserActor.IdempotencyKeysPurged e) throws SQLException {
    exec("DELETE FROM user_idempotency_keys WHERE created_at < ?", e.before());
  }

  IdempotencyKey idempotencyKey(String key) {
    List<IdempotencyKey> found =
        rows(
            "SELECT request_hash, run_id, status, body, created_at, claimed_at"
                + " FROM user_idempotency_keys WHERE idempotency_key = ?",
            rs -> {
              int code = rs.getInt(3);
              Integer status = rs.wasNull() ? null : code;
              return new IdempotencyKey(
                  rs.getString(1),
                  rs.getString(2),
                  status,
                  rs.getString(4),
                  rs.getLong(5),
                  rs.getLong(6));
            },
            key);
    return found.isEmpty() ? null : found.get(0);
  }

  boolean hasIdempotencyKeysBefore(long before) {
    return count("SELECT COUNT(*) FROM user_idempotency_keys WHERE created_at < ?", before) > 0;
  }

  private void profileUpserted(UserActor.ProfileUpserted e) throws SQLException {
    exec(
        "INSERT INTO user_profile (id, user_id, name, email, image, github_account_id,"
            + " github_login, role_label, default_model, eligible_organization_ids_json,"
            + " starter_repo_status, created_at, updated_at)"
            + " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
            + " ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,"
            + " image = excluded.image, github_account_id = excluded.github_account_id,"
            + " github_login = excluded.github_login, role_label = excluded.role_label,"
            + " eligible_organization_ids_json = excluded.eligible_organization_ids_json,"
            + " updated_at = excluded.updated_at",
        e.userId(),
        e.name(),
        e.email(),
        e.image(),
        e.githubAccountId(),
        e.githubLogin(),
        e.roleLabel(),
        UserActor.defaultModel(),
        json(e.eligibleOrganizationIds()),
        e.at(),
        e.at());
  }

  private void defaultModelChanged(UserActor.DefaultModelChanged e) throws SQLException {
    exec(
        "UPDATE user_profile SET default_model = ?, updated_at = ? WHERE id = 1",
        e.model(),
        e.at());
  }

  private void taskStateUpserted(UserActor.TaskStateUpserted e) throws SQLException {
    exec(
        "INSERT INTO user_task_state (task_id, session_id, active_session_id, unread,"
            + " draft_text, draft_attachments_json, draft_updated_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_id, session_id) DO UPDATE"
            + " SET active_session_id = excluded.active_session_id, unread = excluded.unread,"
            + " draft_text = excluded.draft_text,"
            + " draft_attachments_json = excluded.draft_attachments_json,"
            + " draft_updated_at = excluded.draft_updated_at, updated_at = excluded.updated_at",
        e.taskId(),
        e.sessionId(),
        e.activeSessionId(),
        e.unread() ? 1 : 0,
        e.draftText(),
        json(e.draftAttachments()),
        e.draftUpdatedAt(),
        e.at());
    if (e.activeSessionChanged()) {
      exec(
          "UPDATE user_task_state SET active_session_id = ? WHERE task_id = ?",
          e.activeSessionId(),
          e.taskId());
    }
  }

  private void taskStateDeleted(UserActor.TaskStateDeleted e) throws SQLException {
    if (e.sessionId() == null) {
      exec("DELETE FROM user_task_state WHERE task_id = ?", e.taskId());
    } else {
      exec(
          "DELETE FROM user_task_state WHERE task_id = ? AND session_id = ?",
          e.taskId(),
          e.sessionId());
    }
  }

  private void githubAccountStored(UserActor.GithubAccountStored e) throws SQLException {
    exec(
        "INSERT INTO user_github_account (id, account_id, login, scope, token_nonce,"
            + " token_ciphertext, token_expires_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id,"
            + " login = excluded.login, scope = excluded.scope,"
            + " token_nonce = excluded.token_nonce, token_ciphertext = excluded.token_ciphertext,"
            + " token_expires_at = excluded.token_expires_at, updated_at = excluded.updated_at",
        e.accountId(),
        e.login(),
        e.scope(),
        e.token().nonce(),
        e.token().ciphertext(),
        e.tokenExpiresAt(),
        e.at());
  }

  private void providerCredentialStored(UserActor.ProviderCredentialStored e) throws SQLException {
    exec(
        "INSERT INTO user_provider_credentials (provider, nonce, ciphertext, file_path,"
            + " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider) DO UPDATE SET"
            + " nonce = excluded.nonce, ciphertext = excluded.ciphertext,"
            + " file_path = excluded.file_path, updated_at = excluded.updated_at",
        e.provider(),
        e.credential().nonce(),
        e.credential().ciphertext(),
        e.filePath(),
        e.at());
  }

  private void providerCredentialRemoved(UserActor.ProviderCredentialRemoved e)
      throws SQLException {
    exec("DELETE FROM user_provider_credentials WHERE provider = ?", e.provider());
  }

  private void taskBumped(UserActor.TaskBumped e) throws SQLException {
    exec(
        "INSERT INTO user_task_feed (task_id, organization_id, repo_id, title, reason,"
            + " bumped_at, unread) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (task_id) DO"
            + " UPDATE SET title = CASE WHEN excluded.title = '' THEN title ELSE"
            + " excluded.title END, reason = excluded.reason,"
            + " bumped_at = excluded.bumped_at, unread = 1",
        e.taskId(),
        e.organizationId(),
        e.repoId(),
        e.title(),
        e.reason(),
        e.at());
  }

  private void notificationAdded(UserActor.NotificationAdded e) throws SQLException {
    exec(
        "INSERT INTO user_notifications (id, organization_id, task_id, kind, message,"
            + " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        e.id(),
        e.organizationId(),
        e.taskId(),
        e.kind(),
        e.message(),
        e.at());
  }

  private void taskFeedRead(UserActor.TaskFeedRead e) throws SQLException {
    exec("UPDATE user_task_feed SET unread = 0 WHERE task_id = ?", e.taskId());
  }

  private void notificationRead(UserActor.NotificationRead e) throws SQLException {
    exec(
        "UPDATE user_notifications SET read_at = ? WHERE id = ? AND read_at IS NULL",
        e.at(),
        e.id());
  }

  // --- reads ---------------------------------------------------------------------------------

  FoundryUser profile() {
    List<FoundryUser> rows =
        rows(
            "SELECT user_id, name, email, github_login, role_label,"
                + " eligible_organization_ids_json, default_model FROM user_profile",
            rs ->
                new FoundryUser(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getString(5),
                    strings(rs.getString(6)),
                    rs.getString(7)));
    return rows.isEmpty() ? null : rows.get(0);
  }

  ProfileExtras profileExtras() {
    List<ProfileExtras> rows =
        rows(
            "SELECT image, github_account_id FROM user_profile",
            rs -> new ProfileExtras(rs.getString(1), rs.getString(2)));
    return rows.isEmpty() ? null : rows.get(0);
  }

  UserTaskState taskState(String taskId) {
    List<String> active = new ArrayList<>();
    List<UserTaskState.SessionState> sessions =
        rows(
            "SELECT session_id, unread, draft_text, draft_attachments_json, draft_updated_at,"
                + " updated_at, active_session_id FROM user_task_state WHERE task_id = ?"
                + " ORDER BY session_id",
            rs -> {
              if (rs.getString(7) != null && !rs.getString(7).isEmpty()) {
                active.add(rs.getString(7));
              }
              long draftAt = rs.getLong(5);
              Long draftUpdatedAt = rs.wasNull() ? null : draftAt;
              return new UserTaskState.SessionState(
                  rs.getString(1),
                  rs.getInt(2) == 1,
                  new WorkspaceComposerDraft(
                      rs.getString(3), attachments(rs.getString(4)), draftUpdatedAt),
                  rs.getLong(6));
            },
            taskId);
    return new UserTaskState(
        taskId, active.isEmpty() ? null : active.get(0), List.copyOf(sessions));
  }

  UserTaskState.SessionState sessionState(String taskId, String sessionId) {
    return taskState(taskId).session(sessionId);
  }

  ProviderCredentials credentialStatus() {
    List<String> providers =
        rows("SELECT provider FROM user_provider_credentials", rs -> rs.getString(1));
    return new ProviderCredentials(providers.contains("anthropic"), providers.contains("openai"));
  }

  StoredGithubAccount githubAccount() {
    List<StoredGithubAccount> rows =
        rows(
            "SELECT account_id, login, scope, token_nonce, token_ciphertext, token_expires_at,"
                + " updated_at FROM user_github_account WHERE id = 1",
            rs ->
                new StoredGithubAccount(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    new SealedCredential(rs.getString(4), rs.getString(5)),
                    rs.getObject(6) == null ? null : rs.getLong(6),
                    rs.getLong(7)));
    return rows.isEmpty() ? null : rows.get(0);
  }

  List<StoredCredential> sealedCredentials() {
    return rows(
        "SELECT provider, nonce, ciphertext, file_path, updated_at FROM user_provider_credentials"
            + " ORDER BY provider",
        rs ->
            new StoredCredential(
                rs.getString(1),
                new SealedCredential(rs.getString(2), rs.getString(3)),
                rs.getString(4),
                rs.getLong(5)));
  }

  UserInbox inbox(int limit) {
    List<UserTaskFeedEntry> feed =
        rows(
            "SELECT organization_id, repo_id, task_id, title, reason, bumped_at, unread"
                + " FROM user_task_feed ORDER BY bumped_at DESC LIMIT ?",
            rs ->
                new UserTaskFeedEntry(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getLong(6),
                    rs.getInt(7) == 1),
            limit);
    List<UserNotification> notifications =
        rows(
            "SELECT id, organization_id, task_id, kind, message, created_at, read_at"
                + " FROM user_notifications ORDER BY id DESC LIMIT ?",
            rs -> {
              long readAt = rs.getLong(7);
              Long read = rs.wasNull() ? null : readAt;
              return new UserNotification(
                  rs.getLong(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getLong(6),
                  read);
            },
            limit);
    long unread =
        count("SELECT COUNT(*) FROM user_task_feed WHERE unread = 1")
            + count("SELECT COUNT(*) FROM user_notifications WHERE read_at IS NULL");
    return new UserInbox(feed, notifications, (int) unread);
  }

  long latestBump() {
    return count("SELECT COALESCE(MAX(bumped_at), 0) FROM user_task_feed");
  }

  boolean inFeed(String taskId) {
    return !rows("SELECT 1 FROM user_task_feed WHERE task_id = ?", rs -> 1, taskId).isEmpty();
  }

  long nextNotificationId() {
    return count("SELECT COALESCE(MAX(id), 0) + 1 FROM user_notifications");
  }

  boolean notificationExists(long id) {
    return !rows("SELECT 1 FROM user_notifications WHERE id = ?", rs -> 1, id).isEmpty();
  }

  // --- SQL plumbing --------------------------------------------------------------------------

  private long count(String sql, Object... args) {
    return rows(sql, rs -> rs.getLong(1), args).get(0);
  }

  private static List<String> strings(String json) {
    return fromJson(json, new TypeReference<List<String>>() {});
  }

  private static List<WorkspaceLineAttachment> attachments(String json) {
    return fromJson(json, new TypeReference<List<WorkspaceLineAttachment>>() {});
  }
}
