package dev.foundry.backend.organization;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.foundry.backend.organization.OrganizationEvents.BillingCustomerLinked;
import dev.foundry.backend.organization.OrganizationEvents.BillingFreePlanApplied;
import dev.foundry.backend.organization.OrganizationEvents.BillingSubscriptionApplied;
import dev.foundry.backend.organization.OrganizationEvents.InvoiceUpserted;
import dev.foundry.backend.organization.OrganizationEvents.MemberRemoved;
import dev.foundry.backend.organization.OrganizationEvents.MemberUpserted;
import dev.foundry.backend.organization.OrganizationEvents.ProfileCreated;
import dev.foundry.backend.organization.OrganizationEvents.ProfileUpdated;
import dev.foundry.backend.organization.OrganizationEvents.RepositoryAdded;
import dev.foundry.backend.organization.OrganizationEvents.TaskIndexed;
import dev.foundry.backend.organization.OrganizationEvents.TaskMaterialized;
import dev.foundry.backend.organization.OrganizationEvents.TaskPullRequestRefreshed;
import dev.foundry.backend.organization.OrganizationEvents.TaskSummaryApplied;
import dev.foundry.backend.organization.OrganizationEvents.TaskSummaryRemoved;
import dev.foundry.backend.organization.OrganizationEvents.VirtualTaskAdded;
import dev.foundry.backend.protocol.OrganizationProtocol.TaskIndexEntry;
import dev.foundry.shared.app.FoundryBillingState;
import dev.foundry.shared.app.FoundryGithubState;
import dev.foundry.shared.app.FoundryInvoice;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.app.FoundryOrganizationSettings;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.OrganizationGithubSummary;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspaceOpenPullRequest;
import dev.foundry.shared.workspace.WorkspacePullRequestSummary;
import dev.foundry.shared.workspace.WorkspaceRepositorySummary;
import dev.foundry.shared.workspace.WorkspaceSessionSummary;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * A real organization's tables: profile, members, repositories, the task index and the task
 * summaries. The app instance's sign-in indexes live in {@link AppIndexTables}, which this extends
 * so that one actor file holds both roles; each role writes only its own.
 */
public final class OrganizationTables extends AppIndexTables {
  private static final String LIVE = " status NOT IN ('archived', 'killed') ";

  OrganizationTables(Connection db) {
    super(db);
    on(ProfileCreated.class, this::profileCreated);
    on(ProfileUpdated.class, this::profileUpdated);
    on(MemberUpserted.class, this::memberUpserted);
    on(MemberRemoved.class, this::memberRemoved);
    on(OrganizationEvents.GithubInstallationRecorded.class, this::githubInstallationRecorded);
    on(RepositoryAdded.class, this::repositoryAdded);
    on(TaskIndexed.class, this::taskIndexed);
    on(TaskMaterialized.class, this::taskMaterialized);
    on(TaskSummaryApplied.class, this::taskSummaryApplied);
    on(TaskSummaryRemoved.class, this::taskSummaryRemoved);
    on(VirtualTaskAdded.class, this::virtualTaskAdded);
    on(TaskPullRequestRefreshed.class, this::taskPullRequestRefreshed);
    on(BillingCustomerLinked.class, this::billingCustomerLinked);
    on(BillingSubscriptionApplied.class, this::billingSubscriptionApplied);
    on(BillingFreePlanApplied.class, this::billingFreePlanApplied);
    on(InvoiceUpserted.class, this::invoiceUpserted);
    on(OrganizationEvents.GithubWebhookReceived.class, this::githubWebhookReceived);
    on(OrganizationEvents.GithubSyncProgressApplied.class, this::githubSyncProgressApplied);
  }

  private void githubSyncProgressApplied(OrganizationEvents.GithubSyncProgressApplied e)
      throws SQLException {
    exec(
        "UPDATE organization_profile SET github_progress_seq = ?,"
            + " github_connected_account = CASE WHEN ? = '' THEN github_connected_account"
            + " ELSE ? END, github_installation_status = ?, github_sync_status = ?,"
            + " github_last_sync_label = ?, github_last_sync_at = ?, github_sync_generation = ?,"
            + " github_sync_phase = ?, github_processed_repository_count = ?,"
            + " github_total_repository_count = ?, updated_at = ? WHERE id = 1",
        e.seq(),
        e.connectedAccount() == null ? "" : e.connectedAccount(),
        e.connectedAccount(),
        e.installationStatus(),
        e.syncStatus(),
        e.label(),
        e.lastSyncAt(),
        e.generation(),
        e.phase(),
        e.processed(),
        e.total(),
        e.at());
  }

  long githubProgressSeq() {
    Long seq =
        one(
            "SELECT github_progress_seq FROM organization_profile WHERE id = 1",
            rs -> rs.getLong(1));
    return seq == null ? 0 : seq;
  }

  private void githubWebhookReceived(OrganizationEvents.GithubWebhookReceived e)
      throws SQLException {
    exec(
        "UPDATE organization_profile SET github_last_webhook_at = ?,"
            + " github_last_webhook_event = ?, updated_at = ? WHERE id = 1",
        e.at(),
        GithubWebhooks.eventName(e.event(), e.action()),
        e.at());
  }

  private void profileCreated(ProfileCreated e) throws SQLException {
    boolean personal = "personal".equals(e.kind());
    exec(
        "INSERT INTO organization_profile (id, kind, github_login, display_name, slug,"
            + " primary_domain, auto_import_repos, github_connected_account,"
            + " github_installation_status, github_sync_status, github_last_sync_label,"
            + " billing_plan_id, billing_status, billing_seats_included,"
            + " billing_payment_method_label, created_at, updated_at)"
            + " VALUES (1, ?, ?, ?, ?, ?, 1, ?, ?, 'pending', 'Waiting for first import',"
            + " 'free', 'active', 1, 'No card required', ?, ?)",
        e.kind(),
        e.githubLogin(),
        e.displayName(),
        e.slug(),
        e.primaryDomain(),
        e.githubLogin(),
        personal ? "connected" : "install_required",
        e.at(),
        e.at());
  }

  private void profileUpdated(ProfileUpdated e) throws SQLException {
    exec(
        "UPDATE organization_profile SET display_name = COALESCE(?, display_name),"
            + " slug = COALESCE(?, slug), primary_domain = COALESCE(?, primary_domain),"
            + " updated_at = ? WHERE id = 1",
        e.displayName(),
        e.slug(),
        e.primaryDomain(),
        e.at());
  }

  private void memberUpserted(MemberUpserted e) throws SQLException {
    FoundryOrganizationMember m = e.member();
    exec(
        "INSERT INTO organization_members (id, name, email, role, state, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
            + " email = excluded.email, role = excluded.role, state = excluded.state,"
            + " updated_at = excluded.updated_at",
        m.id(),
        m.name() == null ? "" : m.name(),
        m.email() == null ? "" : m.email(),
        m.role(),
        m.state(),
        e.at());
  }

  private void githubInstallationRecorded(OrganizationEvents.GithubInstallationRecorded e)
      throws SQLException {
    exec(
        "INSERT INTO organization_github_installation (id, installation_id, account_type,"
            + " updated_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            + " installation_id = excluded.installation_id,"
            + " account_type = excluded.account_type, updated_at = excluded.updated_at",
        e.installationId(),
        e.accountType(),
        e.at());
    exec(
        "UPDATE organization_profile SET github_installation_status = ?, updated_at = ?"
            + " WHERE id = 1",
        e.installationStatus(),
        e.at());
  }

  /** The GitHub App installation the last sync recorded; null when none. */
  Long githubInstallation() {
    List<Long> ids =
        rows(
            "SELECT installation_id FROM organization_github_installation"
                + " WHERE id = 1 AND installation_id IS NOT NULL",
            r -> r.getLong(1));
    return ids.isEmpty() ? null : ids.get(0);
  }

  private void memberRemoved(MemberRemoved e) throws SQLException {
    exec("DELETE FROM organization_members WHERE id = ?", e.memberId());
  }

  private void repositoryAdded(RepositoryAdded e) throws SQLException {
    exec(
        "INSERT INTO repositories (repo_id, remote_url, label, default_branch, created_at,"
            + " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        e.repoId(),
        e.remoteUrl(),
        e.label(),
        e.defaultBranch(),
        e.at(),
        e.at());
  }

  private void taskIndexed(TaskIndexed e) throws SQLException {
    exec(
        "INSERT INTO task_index (task_id, repo_id, branch_name, actor_created, created_at,"
            + " updated_at) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (task_id) DO NOTHING",
        e.taskId(),
        e.repoId(),
        e.branchName(),
        e.at(),
        e.at());
  }

  private void taskMaterialized(TaskMaterialized e) throws SQLException {
    exec(
        "UPDATE task_index SET actor_created = 1, updated_at = ? WHERE task_id = ?",
        e.at(),
        e.taskId());
  }

  private void taskSummaryApplied(TaskSummaryApplied e) throws SQLException {
    upsertSummary(e.summary());
  }

  private void taskSummaryRemoved(TaskSummaryRemoved e) throws SQLException {
    exec("DELETE FROM task_summaries WHERE task_id = ?", e.taskId());
  }

  private void virtualTaskAdded(VirtualTaskAdded e) throws SQLException {
    exec(
        "INSERT INTO task_index (task_id, repo_id, branch_name, actor_created, created_at,"
            + " updated_at) VALUES (?, ?, ?, 0, ?, ?)",
        e.taskId(),
        e.repoId(),
        e.branchName(),
        e.updatedAtMs(),
        e.updatedAtMs());
    upsertSummary(
        new WorkspaceTaskSummary(
            e.taskId(),
            e.repoId(),
            e.title(),
            TaskStatus.INIT_COMPLETE,
            e.repoName(),
            e.updatedAtMs(),
            e.branchName(),
            e.pullRequest(),
            null,
            List.of(),
            null,
            null));
  }

  private void taskPullRequestRefreshed(TaskPullRequestRefreshed e) throws SQLException {
    exec(
        "UPDATE task_summaries SET pull_request_json = ?, updated_at_ms = ? WHERE task_id = ?",
        jsonOrNull(e.pullRequest()),
        e.updatedAtMs(),
        e.taskId());
  }

  private void billingCustomerLinked(BillingCustomerLinked e) throws SQLException {
    exec(
        "UPDATE organization_profile SET stripe_customer_id = ?, updated_at = ? WHERE id = 1",
        e.customerId(),
        e.at());
  }

  private void billingSubscriptionApplied(BillingSubscriptionApplied e) throws SQLException {
    exec(
        "UPDATE organization_profile SET stripe_subscription_id = ?,"
            + " stripe_customer_id = COALESCE(?, stripe_customer_id), stripe_price_id = ?,"
            + " billing_plan_id = ?, billing_status = ?, billing_seats_included = ?,"
            + " billing_trial_ends_at = ?, billing_renewal_at = ?,"
            + " billing_payment_method_label = ?, updated_at = ? WHERE id = 1",
        e.subscriptionId(),
        e.customerId(),
        e.priceId(),
        e.planId(),
        e.status(),
        e.seatsIncluded(),
        e.trialEndsAt(),
        e.renewalAt(),
        e.paymentMethodLabel(),
        e.at());
  }

  private void billingFreePlanApplied(BillingFreePlanApplied e) throws SQLException {
    exec(
        "UPDATE organization_profile SET stripe_subscription_id = NULL, stripe_price_id = NULL,"
            + " billing_plan_id = 'free', billing_status = 'active', billing_seats_included = 1,"
            + " billing_trial_ends_at = NULL, billing_renewal_at = NULL,"
            + " billing_payment_method_label = 'No card required', updated_at = ? WHERE id = 1",
        e.at());
  }

  private void invoiceUpserted(InvoiceUpserted e) throws SQLException {
    FoundryInvoice i = e.invoice();
    exec(
        "INSERT INTO invoices (id, label, issued_at, amount_usd, status, created_at)"
            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET label = excluded.label,"
            + " issued_at = excluded.issued_at, amount_usd = excluded.amount_usd,"
            + " status = excluded.status",
        i.id(),
        i.label(),
        i.issuedAt(),
        i.amountUsd(),
        i.status(),
        e.at());
  }

  private void upsertSummary(WorkspaceTaskSummary s) throws SQLException {
    exec(
        "INSERT INTO task_summaries (task_id, repo_id, title, status, repo_name, updated_at_ms,"
            + " branch, pull_request_json, sessions_summary_json, primary_user_login,"
            + " primary_user_avatar_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (task_id) DO UPDATE SET repo_id = excluded.repo_id,"
            + " title = excluded.title, status = excluded.status, repo_name = excluded.repo_name,"
            + " updated_at_ms = excluded.updated_at_ms, branch = excluded.branch,"
            + " pull_request_json = excluded.pull_request_json,"
            + " sessions_summary_json = excluded.sessions_summary_json,"
            + " primary_user_login = excluded.primary_user_login,"
            + " primary_user_avatar_url = excluded.primary_user_avatar_url",
        s.id(),
        s.repoId(),
        s.title(),
        s.status().wire(),
        s.repoName(),
        s.updatedAtMs(),
        s.branch(),
        jsonOrNull(s.pullRequest()),
        jsonOrNull(s.sessionsSummary() == null ? List.of() : s.sessionsSummary()),
        s.primaryUserLogin(),
        s.primaryUserAvatarUrl());
  }

  // --- reads: real organization --------------------------------------------------------------

  boolean initialized() {
    return !rows("SELECT 1 FROM organization_profile WHERE id = 1", rs -> 1).isEmpty();
  }

  FoundryOrganization organization(String organizationId) {
    List<FoundryOrganization> orgs =
        rows(
            "SELECT kind, display_name, slug, primary_domain, auto_import_repos,"
                + " github_connected_account, github_installation_status, github_sync_status,"
                + " github_last_sync_label, github_last_sync_at, github_sync_generation,"
                + " billing_plan_id, billing_status, billing_seats_included,"
                + " billing_payment_method_label, billing_trial_ends_at, billing_renewal_at,"
                + " stripe_customer_id, github_last_webhook_at, github_last_webhook_event,"
                + " github_sync_phase, github_processed_repository_count,"
                + " github_total_repository_count FROM organization_profile WHERE id = 1",
            rs -> {
              long lastSync = rs.getLong(10);
              Long lastSyncAt = rs.wasNull() ? null : lastSync;
              long lastWebhook = rs.getLong(19);
              Long lastWebhookAt = rs.wasNull() ? null : lastWebhook;
              return new FoundryOrganization(
                  organizationId,
                  organizationId,
                  rs.getString(1),
                  new FoundryOrganizationSettings(
                      rs.getString(2),
                      rs.getString(3),
                      rs.getString(4),
                      "first_prompt",
                      rs.getInt(5) == 1),
                  new FoundryGithubState(
                      rs.getString(6),
                      rs.getString(7),
                      rs.getString(8),
                      repositoryCount(),
                      rs.getString(9),
                      lastSyncAt,
                      lastWebhookAt,
                      rs.getString(20),
                      rs.getLong(11),
                      rs.getString(21),
                      rs.getInt(22),
                      rs.getInt(23)),
                  new FoundryBillingState(
                      rs.getString(12),
                      rs.getString(13),
                      rs.getInt(14),
                      rs.getString(16),
                      rs.getString(17),
                      rs.getString(18),
                      rs.getString(15),
                      invoices(),
                      seatAssignments().size()),
                  members(),
                  seatAssignments(),
                  rows("SELECT label FROM repositories ORDER BY label", r -> r.getString(1)));
            });
    return orgs.isEmpty() ? null : orgs.get(0);
  }

  OrganizationSummarySnapshot summary(String organizationId) {
    FoundryOrganization org = organization(organizationId);
    OrganizationGithubSummary github =
        org == null
            ? new OrganizationGithubSummary(
                "",
                "install_required",
                "pending",
                0,
                "Waiting for first import",
                null,
                null,
                null,
                0,
                null,
                0,
                0)
            : new OrganizationGithubSummary(
                org.github().connectedAccount(),
                org.github().installationStatus(),
                org.github().syncStatus(),
                org.github().importedRepoCount(),
                org.github().lastSyncLabel(),
                org.github().lastSyncAt(),
                org.github().lastWebhookAt(),
                org.github().lastWebhookEvent(),
                org.github().syncGeneration(),
                org.github().syncPhase(),
                org.github().processedRepositoryCount(),
                org.github().totalRepositoryCount());
    List<WorkspaceRepositorySummary> repos =
        rows(
            "SELECT r.repo_id, r.label, COUNT(s.task_id),"
                + " COALESCE(MAX(s.updated_at_ms), r.updated_at) AS activity"
                + " FROM repositories r LEFT JOIN task_summaries s ON s.repo_id = r.repo_id"
                + " GROUP BY r.repo_id ORDER BY activity DESC, r.label",
            rs ->
                new WorkspaceRepositorySummary(
                    rs.getString(1), rs.getString(2), rs.getInt(3), rs.getLong(4)));
    return new OrganizationSummarySnapshot(
        organizationId,
        github,
        repos,
        taskSummaries(null),
        openPullRequests(),
        org == null ? null : org.billing());
  }

  /**
   * The open pull requests of the organization: every pull request a task summary (real or virtual,
   * which the github-data actor keeps current) shows as {@code OPEN} or {@code DRAFT}, once per
   * repository and number, newest first.
   */
  List<WorkspaceOpenPullRequest> openPullRequests() {
    java.util.Map<String, WorkspaceOpenPullRequest> byId = new java.util.LinkedHashMap<>();
    for (WorkspaceTaskSummary s : taskSummaries(null)) {
      WorkspacePullRequestSummary p = s.pullRequest();
      if (p == null || !("OPEN".equals(p.state()) || "DRAFT".equals(p.state()))) {
        continue;
      }
      String prId = s.repoId() + "#" + p.number();
      byId.putIfAbsent(
          prId,
          new WorkspaceOpenPullRequest(
              prId,
              s.repoId(),
              p.repoFullName(),
              p.number(),
              p.title(),
              p.status(),
              p.state(),
              p.url(),
              p.headRefName(),
              p.baseRefName(),
              p.authorLogin(),
              p.isDraft(),
              p.updatedAtMs()));
    }
    return List.copyOf(byId.values());
  }

  List<RepoRecord> repositories(String organizationId) {
    return rows(
        "SELECT repo_id, remote_url, label, default_branch, created_at, updated_at FROM repositories"
            + " ORDER BY label",
        rs -> repo(organizationId, rs));
  }

  RepoRecord repository(String organizationId, String repoId) {
    List<RepoRecord> r =
        rows(
            "SELECT repo_id, remote_url, label, default_branch, created_at, updated_at"
                + " FROM repositories WHERE repo_id = ?",
            rs -> repo(organizationId, rs),
            repoId);
    return r.isEmpty() ? null : r.get(0);
  }

  private static RepoRecord repo(String organizationId, ResultSet rs) throws SQLException {
    return new RepoRecord(
        organizationId,
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getLong(5),
        rs.getLong(6));
  }

  private int repositoryCount() {
    return rows("SELECT COUNT(*) FROM repositories", rs -> rs.getInt(1)).get(0);
  }

  /** The Stripe ids and plan billing commands decide from. */
  record StripeRefs(String customerId, String subscriptionId, String planId) {}

  StripeRefs stripeRefs() {
    List<StripeRefs> r =
        rows(
            "SELECT stripe_customer_id, stripe_subscription_id, billing_plan_id"
                + " FROM organization_profile WHERE id = 1",
            rs -> new StripeRefs(rs.getString(1), rs.getString(2), rs.getString(3)));
    return r.isEmpty() ? new StripeRefs(null, null, "free") : r.get(0);
  }

  /** Invoices newest first. */
  private List<FoundryInvoice> invoices() {
    return rows(
        "SELECT id, label, issued_at, amount_usd, status FROM invoices"
            + " ORDER BY issued_at DESC, id DESC",
        rs ->
            new FoundryInvoice(
                rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5)));
  }

  /**
   * The seats in use: the e-mails (else ids) of the active members, the organization's seat usage
   * (upstream recorded a seat at a member's first prompt; here every active member holds one).
   */
  private List<String> seatAssignments() {
    return rows(
        "SELECT CASE WHEN email = '' THEN id ELSE email END FROM organization_members"
            + " WHERE state = 'active' ORDER BY 1",
        rs -> rs.getString(1));
  }

  /** The ids of the active members (user ids), to whom the app snapshot goes. */
  List<String> activeMemberIds() {
    return rows(
        "SELECT id FROM organization_members WHERE state = 'active' ORDER BY id",
        rs -> rs.getString(1));
  }

  boolean memberExists(String id) {
    return !rows("SELECT 1 FROM organization_members WHERE id = ?", rs -> 1, id).isEmpty();
  }

  private List<FoundryOrganizationMember> members() {
    return rows(
        "SELECT id, name, email, role, state FROM organization_members ORDER BY name, id",
        rs ->
            new FoundryOrganizationMember(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5)));
  }

  List<WorkspaceTaskSummary> taskSummaries(String repoId) {
    return rows(
        "SELECT task_id, repo_id, title, status, repo_name, updated_at_ms, branch,"
            + " pull_request_json, sessions_summary_json, primary_user_login,"
            + " primary_user_avatar_url FROM task_summaries"
            + (repoId == null ? "" : " WHERE repo_id = ?")
            + " ORDER BY updated_at_ms DESC, task_id",
        OrganizationTables::summary,
        repoId == null ? new Object[0] : new Object[] {repoId});
  }

  WorkspaceTaskSummary taskSummary(String taskId) {
    List<WorkspaceTaskSummary> s =
        rows(
            "SELECT task_id, repo_id, title, status, repo_name, updated_at_ms, branch,"
                + " pull_request_json, sessions_summary_json, primary_user_login,"
                + " primary_user_avatar_url FROM task_summaries WHERE task_id = ?",
            OrganizationTables::summary,
            taskId);
    return s.isEmpty() ? null : s.get(0);
  }

  private static WorkspaceTaskSummary summary(ResultSet rs) throws SQLException {
    return new WorkspaceTaskSummary(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        TaskStatus.fromWire(rs.getString(4)),
        rs.getString(5),
        rs.getLong(6),
        rs.getString(7),
        fromJson(rs.getString(8), new TypeReference<WorkspacePullRequestSummary>() {}),
        null,
        fromJson(rs.getString(9), new TypeReference<List<WorkspaceSessionSummary>>() {}),
        rs.getString(10),
        rs.getString(11));
  }

  TaskIndexEntry indexEntry(String taskId) {
    List<TaskIndexEntry> e =
        rows(
            "SELECT i.task_id, i.repo_id, i.branch_name, s.title, i.actor_created FROM task_index i"
                + " LEFT JOIN task_summaries s ON s.task_id = i.task_id WHERE i.task_id = ?",
            rs ->
                new TaskIndexEntry(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getInt(5) == 1),
            taskId);
    return e.isEmpty() ? null : e.get(0);
  }

  /**
   * Whether {@code branchName} belongs to one of the repository's tasks that is neither archived
   * nor killed: one lookup on {@code task_index_by_branch}, whatever the number of tasks.
   */
  boolean branchTaken(String repoId, String branchName) {
    return !rows(
            "SELECT 1 FROM task_index i LEFT JOIN task_summaries s ON s.task_id = i.task_id"
                + " WHERE i.repo_id = ? AND i.branch_name = ?"
                + " AND (s.status IS NULL OR s."
                + LIVE.strip()
                + ") LIMIT 1",
            rs -> rs.getInt(1),
            repoId,
            branchName)
        .isEmpty();
  }

  String liveTaskOnBranch(String repoId, String branchName) {
    List<String> ids =
        rows(
            "SELECT task_id FROM task_summaries WHERE repo_id = ? AND branch = ? AND"
                + LIVE
                + "ORDER BY updated_at_ms DESC",
            rs -> rs.getString(1),
            repoId,
            branchName);
    return ids.isEmpty() ? null : ids.get(0);
  }

  List<String> taskIdsOnBranch(String repoId, String branchName) {
    return rows(
        "SELECT task_id FROM task_summaries WHERE repo_id = ? AND branch = ? ORDER BY task_id",
        rs -> rs.getString(1),
        repoId,
        branchName);
  }
}
