package dev.foundry.backend.organization;

import dev.foundry.backend.organization.OrganizationEvents.AccountIndexed;
import dev.foundry.backend.organization.OrganizationEvents.ActiveOrganizationSelected;
import dev.foundry.backend.organization.OrganizationEvents.EmailIndexed;
import dev.foundry.backend.organization.OrganizationEvents.SessionIndexed;
import dev.foundry.backend.organization.OrganizationEvents.SessionRemoved;
import dev.foundry.backend.organization.OrganizationEvents.StripeEventRecorded;
import dev.foundry.backend.organization.OrganizationEvents.StripeObjectLinked;
import dev.foundry.backend.protocol.OrganizationProtocol.SessionEntry;
import dev.foundry.backend.runtime.ActorTables;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;

/**
 * The {@code app} instance's tables: the sign-in indexes from sessions, e-mails and OAuth accounts
 * to users, and each session's active organization. {@link OrganizationTables} adds a real
 * organization's tables (both live in every organization file; each role writes only its own).
 */
abstract class AppIndexTables extends ActorTables<OrganizationEvents.Event> {

  AppIndexTables(Connection db) {
    super(db);
    on(SessionIndexed.class, this::sessionIndexed);
    on(SessionRemoved.class, this::sessionRemoved);
    on(EmailIndexed.class, this::emailIndexed);
    on(AccountIndexed.class, this::accountIndexed);
    on(ActiveOrganizationSelected.class, this::activeOrganizationSelected);
    on(StripeEventRecorded.class, this::stripeEventRecorded);
    on(StripeObjectLinked.class, this::stripeObjectLinked);
    on(OrganizationEvents.GithubDeliveryRecorded.class, this::githubDeliveryRecorded);
  }

  private void sessionIndexed(SessionIndexed e) throws SQLException {
    exec(
        "INSERT INTO auth_session_index (session_id, user_id, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET"
            + " user_id = excluded.user_id, updated_at = excluded.updated_at",
        e.sessionId(),
        e.userId(),
        e.at(),
        e.at());
  }

  private void sessionRemoved(SessionRemoved e) throws SQLException {
    exec("DELETE FROM auth_session_index WHERE session_id = ?", e.sessionId());
  }

  private void emailIndexed(EmailIndexed e) throws SQLException {
    exec(
        "INSERT INTO auth_email_index (email, user_id, updated_at) VALUES (?, ?, ?)"
            + " ON CONFLICT (email) DO UPDATE SET user_id = excluded.user_id,"
            + " updated_at = excluded.updated_at",
        e.email(),
        e.userId(),
        e.at());
  }

  private void accountIndexed(AccountIndexed e) throws SQLException {
    exec(
        "INSERT INTO auth_account_index (provider_id, account_id, user_id, updated_at)"
            + " VALUES (?, ?, ?, ?) ON CONFLICT (provider_id, account_id) DO UPDATE SET"
            + " user_id = excluded.user_id, updated_at = excluded.updated_at",
        e.providerId(),
        e.accountId(),
        e.userId(),
        e.at());
  }

  private void activeOrganizationSelected(ActiveOrganizationSelected e) throws SQLException {
    exec(
        "UPDATE auth_session_index SET active_organization_id = ?, updated_at = ?"
            + " WHERE session_id = ?",
        e.organizationId(),
        e.at(),
        e.sessionId());
  }

  private void stripeEventRecorded(StripeEventRecorded e) throws SQLException {
    exec(
        "INSERT INTO stripe_webhook_events (event_id, type, organization_id, received_at)"
            + " VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        e.eventId(),
        e.type(),
        e.organizationId(),
        e.at());
  }

  private void githubDeliveryRecorded(OrganizationEvents.GithubDeliveryRecorded e)
      throws SQLException {
    exec(
        "INSERT INTO github_webhook_deliveries (delivery_id, event, action, organization_id,"
            + " received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING",
        e.deliveryId(),
        e.event(),
        e.action(),
        e.organizationId(),
        e.at());
  }

  private void stripeObjectLinked(StripeObjectLinked e) throws SQLException {
    exec(
        "INSERT INTO stripe_lookup (lookup_key, organization_id, updated_at) VALUES (?, ?, ?)"
            + " ON CONFLICT (lookup_key) DO UPDATE SET organization_id = excluded.organization_id,"
            + " updated_at = excluded.updated_at",
        e.lookupKey(),
        e.organizationId(),
        e.at());
  }

  // --- reads: app instance -------------------------------------------------------------------

  SessionEntry session(String sessionId) {
    List<SessionEntry> s =
        rows(
            "SELECT session_id, user_id, active_organization_id, created_at"
                + " FROM auth_session_index WHERE session_id = ?",
            rs ->
                new SessionEntry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)),
            sessionId);
    return s.isEmpty() ? null : s.get(0);
  }

  /** The oldest sessions first indexed before {@code createdBefore}, at most {@code limit}. */
  List<SessionEntry> sessionsCreatedBefore(long createdBefore, int limit) {
    return rows(
        "SELECT session_id, user_id, active_organization_id, created_at"
            + " FROM auth_session_index WHERE created_at < ? ORDER BY created_at LIMIT ?",
        rs -> new SessionEntry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)),
        createdBefore,
        limit);
  }

  /** The active organization of the user's most recently updated session, or null. */
  String activeOrganizationOf(String userId) {
    List<String> o =
        rows(
            "SELECT active_organization_id FROM auth_session_index WHERE user_id = ?"
                + " AND active_organization_id IS NOT NULL ORDER BY updated_at DESC LIMIT 1",
            rs -> rs.getString(1),
            userId);
    return o.isEmpty() ? null : o.get(0);
  }

  boolean githubDeliverySeen(String deliveryId) {
    return !rows(
            "SELECT 1 FROM github_webhook_deliveries WHERE delivery_id = ?", rs -> 1, deliveryId)
        .isEmpty();
  }

  boolean stripeEventSeen(String eventId) {
    return !rows("SELECT 1 FROM stripe_webhook_events WHERE event_id = ?", rs -> 1, eventId)
        .isEmpty();
  }

  /** The organization of a Stripe object ({@code customer:<id>}, {@code subscription:<id>}). */
  String stripeLookup(String lookupKey) {
    List<String> o =
        rows(
            "SELECT organization_id FROM stripe_lookup WHERE lookup_key = ?",
            rs -> rs.getString(1),
            lookupKey);
    return o.isEmpty() ? null : o.get(0);
  }

  String userByEmail(String email) {
    List<String> u =
        rows(
            "SELECT user_id FROM auth_email_index WHERE email = ?",
            rs -> rs.getString(1),
            email == null ? null : email.strip().toLowerCase(Locale.ROOT));
    return u.isEmpty() ? null : u.get(0);
  }

  String userByAccount(String providerId, String accountId) {
    List<String> u =
        rows(
            "SELECT user_id FROM auth_account_index WHERE provider_id = ? AND account_id = ?",
            rs -> rs.getString(1),
            providerId,
            accountId);
    return u.isEmpty() ? null : u.get(0);
  }
}
