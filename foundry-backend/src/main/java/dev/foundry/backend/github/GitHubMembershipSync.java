package dev.foundry.backend.github;

import dev.foundry.backend.github.GitHubAccounts.Membership;
import dev.foundry.backend.github.GitHubAccounts.Viewer;
import dev.foundry.backend.github.GitHubAppAuth.Installation;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.user.GithubAccountStore;
import dev.foundry.backend.user.GithubAccountStore.GithubAccount;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.app.FoundryUser;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Organizations and members come from GitHub: a sync reads, with the user's own token, their
 * profile, their active organization memberships (and roles) and the app's installations they can
 * see, and makes Foundry match. The personal organization {@code personal-<login>} is theirs
 * (owner); each GitHub organization becomes the Foundry organization {@code <login>} with the user
 * as {@code admin} or {@code member} as GitHub says; an organization the user no longer belongs to
 * loses them as a member, and the {@link #onMembershipEnded} listeners hear it (the realtime
 * endpoint closes their sockets). The user's eligible organizations are exactly these.
 *
 * <p>Installation status follows upstream: a personal organization is {@code connected}; an
 * organization with an installation is {@code connected}; without one it is {@code
 * install_required} when the GitHub App is configured, else {@code reconnect_required}.
 *
 * <p>Runs at every GitHub sign-in and on {@code POST /v1/app/github/sync}.
 */
public final class GitHubMembershipSync {
  private static final Logger log = LoggerFactory.getLogger(GitHubMembershipSync.class);

  /** What a sync left: the user and their organizations (the personal one first). */
  public record Synced(String userId, String email, String accountId, List<String> organizations) {}

  private final DurableRuntime runtime;
  private final GitHubAccounts accounts;
  private final GithubAccountStore store;
  private final boolean appConfigured;
  private final List<BiConsumer<String, String>> endedListeners = new CopyOnWriteArrayList<>();

  public GitHubMembershipSync(
      DurableRuntime runtime,
      GitHubAccounts accounts,
      GithubAccountStore store,
      boolean appConfigured) {
    this.runtime = runtime;
    this.accounts = accounts;
    this.store = store;
    this.appConfigured = appConfigured;
  }

  /** The Foundry user id of a GitHub account: {@code github-<account id>}. */
  public static String userIdOf(long githubAccountId) {
    return "github-" + githubAccountId;
  }

  /** Calls {@code listener(userId, organizationId)} when a sync removes a member. */
  public void onMembershipEnded(BiConsumer<String, String> listener) {
    endedListeners.add(listener);
  }

  /** At sign-in: stores the account with its fresh token, then syncs with it. */
  public CompletionStage<Synced> signIn(Viewer viewer, GitHubOAuth.AccessToken token) {
    String userId = userIdOf(viewer.id());
    Long expiresAt =
        token.expiresIn() > 0 ? System.currentTimeMillis() + token.expiresIn() * 1000 : null;
    return store
        .store(
            userId,
            new GithubAccount(
                String.valueOf(viewer.id()),
                viewer.login(),
                token.scope(),
                token.token(),
                expiresAt))
        .thenCompose(stored -> apply(userId, viewer, token.token()));
  }

  /**
   * Syncs a signed-in user again with their stored token. Fails with a {@link GitHubException}
   * whose {@link GitHubException#unauthorized()} is true when GitHub refuses the token (expired,
   * revoked): the user must sign in again.
   */
  public CompletionStage<Synced> sync(String userId) {
    return store
        .load(userId)
        .thenCompose(
            account -> {
              if (account.isEmpty()) {
                return CompletableFuture.failedFuture(
                    new GitHubException(401, "this user never signed in with GitHub"));
              }
              String token = account.get().token();
              return accounts.viewer(token).thenCompose(viewer -> apply(userId, viewer, token));
            });
  }

  private CompletionStage<Synced> apply(String userId, Viewer viewer, String token) {
    CompletionStage<List<Installation>> installations =
        appConfigured
            ? accounts.installations(token)
            : CompletableFuture.completedFuture(List.of());
    return accounts
        .memberships(token)
        .thenCompose(
            memberships ->
                installations.thenCompose(visible -> apply(userId, viewer, memberships, visible)));
  }

  private CompletionStage<Synced> apply(
      String userId,
      Viewer viewer,
      List<Membership> memberships,
      List<Installation> installations) {
    String personal = OrganizationIds.personal(viewer.login());
    Set<String> eligible = new LinkedHashSet<>();
    eligible.add(personal);
    CompletionStage<?> chain =
        organization(
            personal,
            "personal",
            viewer.login(),
            viewer.name(),
            member(userId, viewer, "owner"),
            installationOf(installations, viewer.login()),
            "User");
    for (Membership m : memberships) {
      String id = OrganizationIds.forGithubOrganization(m.organizationLogin());
      if (!OrganizationIds.valid(id) || id.equals(OrganizationIds.APP) || !eligible.add(id)) {
        continue;
      }
      String role = "admin".equals(m.role()) ? "admin" : "member";
      chain =
          chain.thenCompose(
              v ->
                  organization(
                      id,
                      "organization",
                      m.organizationLogin(),
                      m.organizationLogin(),
                      member(userId, viewer, role),
                      installationOf(installations, m.organizationLogin()),
                      "Organization"));
    }
    List<String> organizations = List.copyOf(eligible);
    return chain
        .thenCompose(v -> previousOrganizations(userId))
        .thenCompose(
            previous ->
                runtime
                    .getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId))
                    .ask(
                        new UserProtocol.UpsertProfile(
                            viewer.name(),
                            viewer.email(),
                            viewer.avatarUrl(),
                            String.valueOf(viewer.id()),
                            viewer.login(),
                            "GitHub user",
                            organizations))
                    .thenCompose(profile -> removeFromLeft(userId, previous, eligible)))
        .thenApply(
            v -> new Synced(userId, viewer.email(), String.valueOf(viewer.id()), organizations));
  }

  private CompletionStage<List<String>> previousOrganizations(String userId) {
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(userId))
        .queryIfExists(new UserProtocol.GetProfile())
        .thenApply(
            (FoundryUser user) ->
                user == null ? List.<String>of() : user.eligibleOrganizationIds());
  }

  /** The organizations the user was in and is no longer: they stop being a member there. */
  private CompletionStage<Void> removeFromLeft(
      String userId, List<String> previous, Set<String> now) {
    List<String> left = new ArrayList<>();
    for (String id : previous) {
      if (!now.contains(id)) {
        left.add(id);
      }
    }
    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
    for (String id : left) {
      chain =
          chain.thenCompose(
              v ->
                  runtime
                      .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(id))
                      .ask(new OrganizationProtocol.RemoveMember(userId))
                      .handle(
                          (org, failure) -> {
                            if (failure != null) {
                              log.info(
                                  "{} was no member of {} any more: {}",
                                  userId,
                                  id,
                                  failure.toString());
                            } else {
                              log.info("{} left {} on GitHub: membership removed", userId, id);
                            }
                            endedListeners.forEach(l -> l.accept(userId, id));
                            return null;
                          }));
    }
    return chain;
  }

  private CompletionStage<?> organization(
      String organizationId,
      String kind,
      String login,
      String displayName,
      FoundryOrganizationMember member,
      Installation installation,
      String accountType) {
    var ref =
        runtime.getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId));
    String status =
        "personal".equals(kind) || installation != null
            ? "connected"
            : appConfigured ? "install_required" : "reconnect_required";
    return ref.ask(
            new OrganizationProtocol.InitializeOrganization(kind, login, displayName, member))
        .thenCompose(
            org ->
                "admin".equals(member.role()) || "owner".equals(member.role())
                    ? CompletableFuture.completedFuture(org)
                    : ref.ask(new OrganizationProtocol.UpsertMember(member)))
        .thenCompose(
            org ->
                ref.ask(
                    new OrganizationProtocol.RecordGithubInstallation(
                        installation == null ? null : installation.id(), accountType, status)));
  }

  private static FoundryOrganizationMember member(String userId, Viewer viewer, String role) {
    return new FoundryOrganizationMember(userId, viewer.name(), viewer.email(), role, "active");
  }

  private static Installation installationOf(List<Installation> installations, String login) {
    return installations.stream()
        .filter(i -> i.accountLogin().equalsIgnoreCase(login))
        .findFirst()
        .orElse(null);
  }
}
