package dev.foundry.backend.sandbox;

import static dev.foundry.backend.sandbox.SandboxScope.blank;
import static dev.foundry.backend.sandbox.SandboxScope.now;

import dev.foundry.backend.protocol.SandboxProtocol.CloneRepository;
import dev.foundry.backend.protocol.SandboxProtocol.MergeBranch;
import dev.foundry.backend.protocol.SandboxProtocol.PushBranch;
import dev.foundry.backend.protocol.SandboxProtocol.RefreshGitState;
import dev.foundry.backend.protocol.SandboxProtocol.RevertFile;
import dev.foundry.backend.protocol.SandboxProtocol.SyncBranch;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.backend.sandbox.SandboxEvents.BranchMerged;
import dev.foundry.backend.sandbox.SandboxEvents.BranchPushed;
import dev.foundry.backend.sandbox.SandboxEvents.BranchSynced;
import dev.foundry.backend.sandbox.SandboxEvents.Event;
import dev.foundry.backend.sandbox.SandboxEvents.FileReverted;
import dev.foundry.backend.sandbox.SandboxEvents.GitStateRefreshed;
import dev.foundry.backend.sandbox.SandboxEvents.RepositoryCloned;
import dev.foundry.sandbox.git.SandboxGit;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.sandbox.RepositoryView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The sandbox's repository: clone and checkout, and the git work on the task branch (refresh the
 * derived git state, revert a file, push, sync, merge; the last two through {@link BranchSync}, the
 * state through {@link SandboxGitState}). Every step that changes the work tree ends with the
 * refreshed git state, which the task hears of.
 */
final class SandboxRepository {
  private final SandboxScope scope;

  SandboxRepository(SandboxScope scope) {
    this.scope = scope;
  }

  Decision<RepositoryView> cloneRepository(CloneRepository cmd, SandboxTables t) {
    if (blank(cmd.remoteUrl())) {
      return Decision.reject("invalid_remote", "remoteUrl is required");
    }
    RepositoryView repo = t.repository();
    if (repo != null) {
      return repo.remoteUrl().equals(cmd.remoteUrl())
          ? Decision.reply(repo)
          : Decision.reject(
              "repository_already_cloned", "the sandbox already holds " + repo.remoteUrl());
    }
    return scope.withSandbox(
        t,
        sb -> {
          SandboxGit git = new SandboxGit(sb.client(), sb.homeDir());
          String dir = sb.workDir();
          CompletionStage<RepositoryView> io =
              git.git(dir, "rev-parse", "--show-toplevel")
                  .thenCompose(
                      top ->
                          top.succeeded() && top.stdout().strip().equals(dir)
                              ? CompletableFuture.completedFuture(null) // cloned before a crash
                              : git.cloneInto(cmd.remoteUrl(), dir, null).thenApply(r -> null))
                  .thenCompose(v -> checkout(git, dir, cmd.branch()))
                  .thenCompose(v -> git.git(dir, "rev-parse", "--abbrev-ref", "HEAD"))
                  .thenCompose(
                      branch ->
                          git.git(dir, "rev-parse", "HEAD")
                              .thenApply(
                                  head ->
                                      new RepositoryView(
                                          cmd.remoteUrl(),
                                          branch.orThrow("git rev-parse").stdout().strip(),
                                          head.orThrow("git rev-parse").stdout().strip(),
                                          dir)))
                  // A failed attempt leaves nothing behind: the next one clones from scratch.
                  .exceptionallyCompose(
                      failure ->
                          sb.client()
                              .processes()
                              .run(ProcessRequest.of("find", dir, "-mindepth", "1", "-delete"))
                              .handle((r, e) -> r)
                              .thenCompose(r -> CompletableFuture.failedFuture(failure)));
          return Decision.after(
              SandboxActor.LONG_WORK_IO_TIMEOUT,
              io,
              r ->
                  Decision.<RepositoryView>persist(
                          new RepositoryCloned(
                              r.remoteUrl(), r.branch(), r.headCommit(), r.dir(), now()))
                      .thenReply(t::repository));
        });
  }

  /**
   * {@code checkout -B branch}: from {@code origin/branch} when the remote has it, else from where
   * the clone stands, else (the remote's {@code HEAD} names a branch it does not have) from its
   * default branch; in an empty repository (no commit yet, as a new GitHub repository is) the
   * branch starts with an empty first commit. Without a branch, the clone's own checkout stays.
   */
  private static CompletionStage<Void> checkout(SandboxGit git, String dir, String branch) {
    if (blank(branch)) {
      return startPoint(git, dir)
          .thenCompose(
              start -> {
                if (start == null) {
                  throw new IllegalStateException(
                      "the repository is empty and no branch was given to start");
                }
                return start.equals("HEAD")
                    ? CompletableFuture.completedFuture(null)
                    : git.git(dir, "checkout", "-B", start.substring("origin/".length()), start)
                        .thenAccept(r -> r.orThrow("git checkout " + start));
              });
    }
    return git.git(dir, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/" + branch)
        .thenCompose(
            remote ->
                remote.succeeded()
                    ? git.git(dir, "checkout", "-B", branch, "origin/" + branch)
                        .thenAccept(r -> r.orThrow("git checkout -B " + branch))
                    : startPoint(git, dir)
                        .thenCompose(
                            start ->
                                start == null
                                    ? firstCommit(git, dir, branch)
                                    : git.git(dir, "checkout", "-B", branch, start)
                                        .thenAccept(r -> r.orThrow("git checkout -B " + branch))));
  }

  /**
   * Where a new branch starts: {@code HEAD} when the clone checked out a commit; else the remote's
   * default branch ({@code ls-remote --symref}), {@code origin/main}, {@code origin/master} or any
   * branch of the remote; null when the remote has no branch at all.
   */
  private static CompletionStage<String> startPoint(SandboxGit git, String dir) {
    return git.git(dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        .thenCompose(
            head -> {
              if (head.succeeded()) {
                return CompletableFuture.completedFuture("HEAD");
              }
              return git.git(dir, "ls-remote", "--symref", "origin", "HEAD")
                  .thenCompose(
                      symref ->
                          git.git(
                                  dir,
                                  "for-each-ref",
                                  "--format=%(refname:short)",
                                  "refs/remotes/origin/")
                              .thenApply(
                                  refs ->
                                      defaultBranch(
                                          symref.succeeded() ? symref.stdout() : "",
                                          refs.orThrow("git for-each-ref").stdout())));
            });
  }

  static String defaultBranch(String lsRemoteSymref, String remoteBranches) {
    List<String> branches = new ArrayList<>();
    for (String line : remoteBranches.split("\n")) {
      String b = line.strip();
      if (b.startsWith("origin/") && !b.equals("origin/HEAD")) {
        branches.add(b);
      }
    }
    List<String> preferred = new ArrayList<>();
    for (String line : lsRemoteSymref.split("\n")) {
      if (line.startsWith("ref: refs/heads/") && line.endsWith("\tHEAD")) {
        preferred.add(
            "origin/"
                + line.substring("ref: refs/heads/".length(), line.length() - "\tHEAD".length()));
      }
    }
    preferred.add("origin/main");
    preferred.add("origin/master");
    for (String candidate : preferred) {
      if (branches.contains(candidate)) {
        return candidate;
      }
    }
    return branches.isEmpty() ? null : branches.get(0);
  }

  /** An empty repository: {@code branch} begins with an empty commit, so it can be pushed. */
  private static CompletionStage<Void> firstCommit(SandboxGit git, String dir, String branch) {
    return git.git(dir, "symbolic-ref", "HEAD", "refs/heads/" + branch)
        .thenAccept(r -> r.orThrow("git symbolic-ref HEAD"))
        .thenCompose(v -> git.git(dir, "config", "--get", "user.email"))
        .thenCompose(
            identity -> {
              List<String> args = new ArrayList<>();
              if (!identity.succeeded()) {
                // Nobody's identity is configured yet (no owner): a neutral one for this commit.
                args.addAll(
                    List.of("-c", "user.name=Foundry", "-c", "user.email=foundry@localhost"));
              }
              args.addAll(List.of("commit", "--allow-empty", "-m", "Start " + branch));
              return git.git(dir, args.toArray(String[]::new));
            })
        .thenAccept(r -> r.orThrow("git commit --allow-empty"));
  }

  Decision<GitState> refreshGitState(RefreshGitState cmd, SandboxTables t) {
    return scope.withRepository(
        t,
        (git, dir) ->
            Decision.after(
                SandboxGitState.collect(git, dir),
                state ->
                    Decision.<GitState>persist(new GitStateRefreshed(state, now()))
                        .thenReply(() -> state)));
  }

  Decision<GitState> revertFile(RevertFile cmd, SandboxTables t) {
    String path = cmd.path();
    if (blank(path) || path.startsWith("/") || path.startsWith("-") || path.contains("..")) {
      return Decision.reject("invalid_path", "a path inside the repository is required: " + path);
    }
    return scope.withRepository(
        t,
        (git, dir) -> {
          CompletionStage<GitState> io =
              git.git(dir, "ls-files", "--error-unmatch", "--", path)
                  .thenCompose(
                      tracked ->
                          tracked.succeeded()
                              ? git.git(
                                  dir,
                                  "restore",
                                  "--source=HEAD",
                                  "--staged",
                                  "--worktree",
                                  "--",
                                  path)
                              : git.git(dir, "clean", "-f", "--", path))
                  .thenApply(r -> r.orThrow("revert of " + path))
                  .thenCompose(r -> SandboxGitState.collect(git, dir));
          return Decision.after(
              io,
              state ->
                  Decision.<GitState>persist(
                          new FileReverted(path, now()), new GitStateRefreshed(state, now()))
                      .thenReply(() -> state),
              failure -> Decision.reject("git_revert_failed", Failures.message(failure)));
        });
  }

  Decision<GitState> pushBranch(PushBranch cmd, SandboxTables t) {
    return scope.withRepository(
        t,
        (git, dir) -> {
          CompletionStage<Pushed> io =
              git.git(dir, "rev-parse", "--abbrev-ref", "HEAD")
                  .thenApply(r -> r.orThrow("git rev-parse").stdout().strip())
                  .thenCompose(
                      branch ->
                          git.git(
                                  dir,
                                  SandboxGit.CLONE_TIMEOUT,
                                  List.of("push", "-u", "origin", branch))
                              .thenApply(r -> r.orThrow("git push of " + branch))
                              .thenCompose(r -> git.git(dir, "rev-parse", "HEAD"))
                              .thenCompose(
                                  head ->
                                      SandboxGitState.collect(git, dir)
                                          .thenApply(
                                              state ->
                                                  new Pushed(
                                                      branch,
                                                      head.orThrow("git rev-parse")
                                                          .stdout()
                                                          .strip(),
                                                      state))));
          return Decision.after(
              io,
              pushed ->
                  Decision.<GitState>persist(
                          new BranchPushed(pushed.branch(), pushed.headCommit(), now()),
                          new GitStateRefreshed(pushed.state(), now()))
                      .thenReply(pushed::state),
              failure -> Decision.reject("git_push_failed", Failures.message(failure)));
        });
  }

  private record Pushed(String branch, String headCommit, GitState state) {}

  Decision<GitState> syncBranch(SyncBranch cmd, SandboxTables t) {
    return scope.withRepository(
        t,
        (git, dir) ->
            Decision.after(
                BranchSync.sync(git, dir),
                synced -> branchSynced(synced, false),
                failure -> gitRejection("git_sync_failed", failure)));
  }

  Decision<GitState> mergeBranch(MergeBranch cmd, SandboxTables t) {
    return scope.withRepository(
        t,
        (git, dir) ->
            Decision.after(
                BranchSync.merge(git, dir),
                merged -> branchSynced(merged, true),
                failure -> gitRejection("git_merge_failed", failure)));
  }

  private static Decision<GitState> branchSynced(BranchSync.Synced s, boolean merged) {
    long at = now();
    List<Event> events = new ArrayList<>();
    events.add(new BranchSynced(s.base(), s.baseCommit(), s.headCommit(), at));
    if (merged) {
      events.add(new BranchMerged(s.base(), s.headCommit(), at));
    }
    events.add(new GitStateRefreshed(s.state(), at));
    return Decision.<GitState>persist(events).thenReply(s::state);
  }

  /** A git failure as the caller sees it: a conflict keeps its own code, the rest {@code code}. */
  private static Decision<GitState> gitRejection(String code, Throwable failure) {
    return Failures.cause(failure) instanceof BranchSync.Conflict conflict
        ? Decision.reject(conflict.code(), conflict.getMessage())
        : Decision.reject(code, Failures.message(failure));
  }
}
