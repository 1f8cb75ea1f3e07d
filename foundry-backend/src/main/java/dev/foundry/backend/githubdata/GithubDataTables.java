package dev.foundry.backend.githubdata;

import dev.foundry.backend.githubdata.GithubDataEvents.Event;
import dev.foundry.backend.githubdata.GithubDataEvents.MembersSynced;
import dev.foundry.backend.githubdata.GithubDataEvents.PullRequestRemoved;
import dev.foundry.backend.githubdata.GithubDataEvents.PullRequestUpserted;
import dev.foundry.backend.githubdata.GithubDataEvents.PullRequestsSynced;
import dev.foundry.backend.githubdata.GithubDataEvents.RepositoriesSynced;
import dev.foundry.backend.githubdata.GithubDataEvents.RepositoryRemoved;
import dev.foundry.backend.githubdata.GithubDataEvents.RepositoryUpserted;
import dev.foundry.backend.githubdata.GithubDataEvents.StateCleared;
import dev.foundry.backend.githubdata.GithubDataEvents.SyncFailed;
import dev.foundry.backend.githubdata.GithubDataEvents.SyncFinished;
import dev.foundry.backend.githubdata.GithubDataEvents.SyncStarted;
import dev.foundry.backend.protocol.GithubDataProtocol;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubDataSummary;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubMember;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubPullRequest;
import dev.foundry.backend.protocol.GithubDataProtocol.GithubRepository;
import dev.foundry.backend.runtime.ActorTables;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The github-data actor's tables (spec §7.1): {@code github_meta} (one row, created with upstream's
 * defaults on first write), repositories, members and pull requests, each stamped with the
 * generation of the sync that last saw it.
 */
public final class GithubDataTables extends ActorTables<Event> {
  private static final String PR_COLUMNS =
      "pr_id, repo_id, repo_full_name, number, title, state, url, head_ref_name, base_ref_name,"
          + " author_login, is_draft, updated_at";

  GithubDataTables(Connection db) {
    super(db);
    on(SyncStarted.class, this::syncStarted);
    on(RepositoriesSynced.class, this::repositoriesSynced);
    on(MembersSynced.class, this::membersSynced);
    on(PullRequestsSynced.class, this::pullRequestsSynced);
    on(SyncFinished.class, this::syncFinished);
    on(SyncFailed.class, this::syncFailed);
    on(PullRequestUpserted.class, this::pullRequestUpserted);
    on(
        PullRequestRemoved.class,
        e -> exec("DELETE FROM github_pull_requests WHERE pr_id = ?", e.prId()));
    on(RepositoryUpserted.class, this::repositoryUpserted);
    on(RepositoryRemoved.class, this::repositoryRemoved);
    on(StateCleared.class, this::stateCleared);
  }

  private void ensureMeta(long at) throws SQLException {
    exec(
        "INSERT INTO github_meta (id, connected_account, installation_status, sync_status,"
            + " last_sync_label, updated_at) VALUES (1, '', 'install_required', 'pending',"
            + " 'Waiting for first import', ?) ON CONFLICT (id) DO NOTHING",
        at);
  }

  /** Every meta change counts up, so the organization can ignore an older progress report. */
  private void touchMeta(long at) throws SQLException {
    exec("UPDATE github_meta SET updated_at = ?, progress_seq = progress_seq + 1 WHERE id = 1", at);
  }

  private void syncStarted(SyncStarted e) throws SQLException {
    ensureMeta(e.at());
    var in = e.input();
    exec(
        "UPDATE github_meta SET connected_account = COALESCE(?, connected_account),"
            + " installation_status = COALESCE(?, installation_status),"
            + " installation_id = COALESCE(?, installation_id),"
            + " github_login = COALESCE(?, github_login), kind = COALESCE(?, kind),"
            + " sync_status = 'syncing', sync_generation = ?, sync_phase = ?,"
            + " sync_started_at = ?, last_sync_label = ?, processed_repository_count = 0,"
            + " total_repository_count = 0 WHERE id = 1",
        in.connectedAccount(),
        in.installationStatus(),
        in.installationId(),
        in.githubLogin(),
        in.kind(),
        e.generation(),
        GithubDataProtocol.DISCOVERING,
        e.at(),
        e.label());
    touchMeta(e.at());
  }

  private void repositoriesSynced(RepositoriesSynced e) throws SQLException {
    for (GithubRepository r : e.repositories()) {
      upsertRepository(r, e.generation(), e.at());
    }
    exec(
        "UPDATE github_meta SET sync_phase = ?, last_sync_label = ?,"
            + " total_repository_count = ?, processed_repository_count = 0 WHERE id = 1",
        GithubDataProtocol.SYNCING_MEMBERS,
        e.label(),
        e.repositories().size());
    touchMeta(e.at());
  }

  private void membersSynced(MembersSynced e) throws SQLException {
    for (GithubMember m : e.members()) {
      exec(
          "INSERT INTO github_members (member_id, login, display_name, email, role, state,"
              + " sync_generation, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
              + " ON CONFLICT (member_id) DO UPDATE SET login = excluded.login,"
              + " display_name = excluded.display_name, email = excluded.email,"
              + " role = excluded.role, state = excluded.state,"
              + " sync_generation = excluded.sync_generation, updated_at = excluded.updated_at",
          m.memberId(),
          m.login(),
          m.displayName(),
          m.email(),
          m.role(),
          m.state(),
          e.generation(),
          e.at());
    }
    exec("DELETE FROM github_members WHERE sync_generation < ?", e.generation());
    exec(
        "UPDATE github_meta SET sync_phase = ?, processed_repository_count = 0,"
            + " last_sync_label = 'Syncing pull requests...' WHERE id = 1",
        GithubDataProtocol.SYNCING_PULL_REQUESTS);
    touchMeta(e.at());
  }

  private void pullRequestsSynced(PullRequestsSynced e) throws SQLException {
    for (GithubPullRequest p : e.pullRequests()) {
      upsertPullRequest(p, e.generation());
    }
    exec(
        "UPDATE github_meta SET processed_repository_count = ?, last_sync_label = ? WHERE id = 1",
        e.processed(),
        e.label());
    touchMeta(e.at());
  }

  private void syncFinished(SyncFinished e) throws SQLException {
    exec("DELETE FROM github_pull_requests WHERE sync_generation < ?", e.generation());
    exec("DELETE FROM github_repositories WHERE sync_generation < ?", e.generation());
    exec(
        "UPDATE github_meta SET sync_status = 'synced', sync_phase = NULL, last_sync_label = ?,"
            + " last_sync_at = COALESCE(sync_started_at, ?) WHERE id = 1",
        e.label(),
        e.at());
    touchMeta(e.at());
  }

  private void syncFailed(SyncFailed e) throws SQLException {
    ensureMeta(e.at());
    exec(
        "UPDATE github_meta SET sync_status = 'error', sync_phase = NULL, last_sync_label = ?,"
            + " processed_repository_count = 0, total_repository_count = 0 WHERE id = 1",
        e.message());
    touchMeta(e.at());
  }

  private void pullRequestUpserted(PullRequestUpserted e) throws SQLException {
    GithubRepository held = repository(e.repository().repoId());
    long generation = held == null ? generation() : repositoryGeneration(held.repoId());
    upsertRepository(
        held == null
            ? e.repository()
            : new GithubRepository(
                held.repoId(),
                e.repository().fullName(),
                e.repository().cloneUrl(),
                e.repository().isPrivate(),
                held.defaultBranch()),
        generation,
        e.pullRequest().updatedAtMs());
    upsertPullRequest(e.pullRequest(), generation);
  }

  private void repositoryUpserted(RepositoryUpserted e) throws SQLException {
    if (e.previousRepoId() != null && !e.previousRepoId().equals(e.repository().repoId())) {
      repositoryRemoved(new RepositoryRemoved(e.previousRepoId(), e.at()));
    }
    upsertRepository(e.repository(), generation(), e.at());
  }

  private void repositoryRemoved(RepositoryRemoved e) throws SQLException {
    exec("DELETE FROM github_pull_requests WHERE repo_id = ?", e.repoId());
    exec("DELETE FROM github_repositories WHERE repo_id = ?", e.repoId());
  }

  private void stateCleared(StateCleared e) throws SQLException {
    ensureMeta(e.at());
    exec("DELETE FROM github_pull_requests");
    exec("DELETE FROM github_repositories");
    exec("DELETE FROM github_members");
    var in = e.input();
    exec(
        "UPDATE github_meta SET connected_account = COALESCE(?, connected_account),"
            + " installation_status = ?, installation_id = ?, sync_status = 'pending',"
            + " last_sync_label = ?, last_sync_at = NULL, sync_phase = NULL,"
            + " processed_repository_count = 0, total_repository_count = 0 WHERE id = 1",
        in.connectedAccount(),
        in.installationStatus(),
        in.installationId(),
        in.label());
    touchMeta(e.at());
  }

  private void upsertRepository(GithubRepository r, long generation, long at) throws SQLException {
    exec(
        "INSERT INTO github_repositories (repo_id, full_name, clone_url, private, default_branch,"
            + " sync_generation, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (repo_id) DO UPDATE SET full_name = excluded.full_name,"
            + " clone_url = excluded.clone_url, private = excluded.private,"
            + " default_branch = excluded.default_branch,"
            + " sync_generation = excluded.sync_generation, updated_at = excluded.updated_at",
        r.repoId(),
        r.fullName(),
        r.cloneUrl(),
        r.isPrivate() ? 1 : 0,
        r.defaultBranch(),
        generation,
        at);
  }

  private void upsertPullRequest(GithubPullRequest p, long generation) throws SQLException {
    exec(
        "INSERT INTO github_pull_requests ("
            + PR_COLUMNS
            + ", sync_generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (pr_id) DO UPDATE SET repo_id = excluded.repo_id,"
            + " repo_full_name = excluded.repo_full_name, number = excluded.number,"
            + " title = excluded.title, state = excluded.state, url = excluded.url,"
            + " head_ref_name = excluded.head_ref_name, base_ref_name = excluded.base_ref_name,"
            + " author_login = excluded.author_login, is_draft = excluded.is_draft,"
            + " updated_at = excluded.updated_at, sync_generation = excluded.sync_generation",
        p.prId(),
        p.repoId(),
        p.repoFullName(),
        p.number(),
        p.title(),
        p.state(),
        p.url(),
        p.headRefName(),
        p.baseRefName(),
        p.authorLogin(),
        p.isDraft() ? 1 : 0,
        p.updatedAtMs(),
        generation);
  }

  // reads ----------------------------------------------------------------------------------------

  /** The sync state the handlers decide from (upstream's defaults without a row). */
  record Meta(
      String syncStatus,
      long generation,
      String phase,
      int processed,
      int total,
      Long installationId,
      String githubLogin,
      String kind,
      String connectedAccount,
      String installationStatus,
      String label,
      Long lastSyncAt,
      long progressSeq) {}

  Meta meta() {
    Meta m =
        one(
            "SELECT sync_status, sync_generation, sync_phase, processed_repository_count,"
                + " total_repository_count, installation_id, github_login, kind,"
                + " connected_account, installation_status, last_sync_label, last_sync_at,"
                + " progress_seq FROM github_meta WHERE id = 1",
            rs -> {
              long installation = rs.getLong(6);
              Long installationId = rs.wasNull() ? null : installation;
              long last = rs.getLong(12);
              Long lastSyncAt = rs.wasNull() ? null : last;
              return new Meta(
                  rs.getString(1),
                  rs.getLong(2),
                  rs.getString(3),
                  rs.getInt(4),
                  rs.getInt(5),
                  installationId,
                  rs.getString(7),
                  rs.getString(8),
                  rs.getString(9),
                  rs.getString(10),
                  rs.getString(11),
                  lastSyncAt,
                  rs.getLong(13));
            });
    return m != null
        ? m
        : new Meta(
            "pending",
            0,
            null,
            0,
            0,
            null,
            null,
            null,
            "",
            "install_required",
            "Waiting for first import",
            null,
            0);
  }

  long generation() {
    return meta().generation();
  }

  private long repositoryGeneration(String repoId) {
    Long g =
        one(
            "SELECT sync_generation FROM github_repositories WHERE repo_id = ?",
            rs -> rs.getLong(1),
            repoId);
    return g == null ? generation() : g;
  }

  GithubDataSummary summary() {
    Meta m = meta();
    return new GithubDataSummary(
        m.connectedAccount(),
        m.installationStatus(),
        m.syncStatus(),
        m.installationId(),
        m.label(),
        m.lastSyncAt(),
        m.generation(),
        m.phase(),
        m.processed(),
        m.total(),
        count("github_repositories"),
        count("github_members"),
        count("github_pull_requests"));
  }

  private int count(String table) {
    return one("SELECT COUNT(*) FROM " + table, rs -> rs.getInt(1));
  }

  List<GithubRepository> repositories() {
    return rows(
        "SELECT repo_id, full_name, clone_url, private, default_branch FROM github_repositories"
            + " ORDER BY full_name, repo_id",
        GithubDataTables::repository);
  }

  /**
   * The batch of repositories a pull-request step of sync {@code generation} reads: those that sync
   * found (not the ones it is about to sweep), by repo id, from {@code offset}.
   */
  List<GithubRepository> repositoryBatch(long generation, int offset, int limit) {
    return rows(
        "SELECT repo_id, full_name, clone_url, private, default_branch FROM github_repositories"
            + " WHERE sync_generation = ? ORDER BY repo_id LIMIT ? OFFSET ?",
        GithubDataTables::repository,
        generation,
        limit,
        offset);
  }

  GithubRepository repository(String repoId) {
    List<GithubRepository> r =
        rows(
            "SELECT repo_id, full_name, clone_url, private, default_branch"
                + " FROM github_repositories WHERE repo_id = ?",
            GithubDataTables::repository,
            repoId);
    return r.isEmpty() ? null : r.get(0);
  }

  private static GithubRepository repository(ResultSet rs) throws SQLException {
    return new GithubRepository(
        rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4) == 1, rs.getString(5));
  }

  List<GithubMember> members() {
    return rows(
        "SELECT member_id, login, display_name, email, role, state FROM github_members"
            + " ORDER BY login",
        rs ->
            new GithubMember(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6)));
  }

  GithubPullRequest pullRequest(String prId) {
    List<GithubPullRequest> p =
        rows(
            "SELECT " + PR_COLUMNS + " FROM github_pull_requests WHERE pr_id = ?",
            GithubDataTables::pullRequest,
            prId);
    return p.isEmpty() ? null : p.get(0);
  }

  List<GithubPullRequest> openPullRequests(String repoId) {
    return rows(
        "SELECT "
            + PR_COLUMNS
            + " FROM github_pull_requests WHERE state IN ('OPEN', 'DRAFT')"
            + (repoId == null ? "" : " AND repo_id = ?")
            + " ORDER BY updated_at DESC, pr_id",
        GithubDataTables::pullRequest,
        repoId == null ? new Object[0] : new Object[] {repoId});
  }

  /** The pull requests a sync of {@code generation} did not see (what its sweep removes). */
  List<GithubPullRequest> pullRequestsOlderThan(long generation) {
    return rows(
        "SELECT " + PR_COLUMNS + " FROM github_pull_requests WHERE sync_generation < ?",
        GithubDataTables::pullRequest,
        generation);
  }

  List<GithubPullRequest> pullRequestsOfRepository(String repoId) {
    return rows(
        "SELECT " + PR_COLUMNS + " FROM github_pull_requests WHERE repo_id = ?",
        GithubDataTables::pullRequest,
        repoId);
  }

  List<GithubPullRequest> allPullRequests() {
    return rows(
        "SELECT " + PR_COLUMNS + " FROM github_pull_requests", GithubDataTables::pullRequest);
  }

  private static GithubPullRequest pullRequest(ResultSet rs) throws SQLException {
    return new GithubPullRequest(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getInt(4),
        rs.getString(5),
        rs.getString(6),
        rs.getString(7),
        rs.getString(8),
        rs.getString(9),
        rs.getString(10),
        rs.getInt(11) == 1,
        rs.getLong(12));
  }
}
