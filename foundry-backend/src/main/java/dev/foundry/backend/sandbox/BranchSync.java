package dev.foundry.backend.sandbox;

import dev.foundry.sandbox.git.SandboxGit;
import dev.foundry.shared.sandbox.GitState;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sync and merge as real git operations in the sandbox (upstream's are audit-only no-ops, spec
 * §12.7). Sync rebases the task branch onto the remote's default branch; merge syncs, then pushes
 * the branch's head to the default branch, which is then a fast-forward. A conflict never leaves a
 * half-done rebase behind: it is aborted and reported with the conflicting files.
 */
final class BranchSync {

  /** A rebase or push the user has to resolve; {@link #code()} is the API error code. */
  static final class Conflict extends RuntimeException {
    private final String code;

    Conflict(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    String code() {
      return code;
    }
  }

  /** The outcome: the default branch, its commit, the branch's new head and the git state. */
  record Synced(String base, String baseCommit, String headCommit, GitState state) {}

  private BranchSync() {}

  static CompletionStage<Synced> sync(SandboxGit git, String dir) {
    return git.git(dir, SandboxGit.CLONE_TIMEOUT, List.of("fetch", "origin", "--prune"))
        .thenApply(r -> r.orThrow("git fetch origin"))
        .thenCompose(r -> defaultBranch(git, dir))
        .thenCompose(base -> rebaseOnto(git, dir, base));
  }

  static CompletionStage<Synced> merge(SandboxGit git, String dir) {
    return sync(git, dir)
        .thenCompose(
            synced ->
                git.git(
                        dir,
                        SandboxGit.CLONE_TIMEOUT,
                        List.of("push", "origin", "HEAD:refs/heads/" + synced.base()))
                    .thenApply(
                        r -> {
                          if (!r.succeeded()) {
                            throw new Conflict(
                                "merge_rejected",
                                "the remote refused the merge into "
                                    + synced.base()
                                    + " (sync the task and try again): "
                                    + r.stderr().strip());
                          }
                          return synced;
                        }));
  }

  /** The remote's default branch: what origin/HEAD names, else main or master. */
  private static CompletionStage<String> defaultBranch(SandboxGit git, String dir) {
    return git.git(dir, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
        .thenCompose(
            head -> {
              if (head.succeeded() && head.stdout().strip().startsWith("origin/")) {
                return CompletableFuture.completedFuture(
                    head.stdout().strip().substring("origin/".length()));
              }
              return git.git(dir, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/main")
                  .thenApply(main -> main.succeeded() ? "main" : "master");
            });
  }

  private static CompletionStage<Synced> rebaseOnto(SandboxGit git, String dir, String base) {
    String upstream = "origin/" + base;
    // --autostash: the agent's uncommitted edits ride along instead of blocking the rebase.
    return git.git(dir, SandboxGit.CLONE_TIMEOUT, List.of("rebase", "--autostash", upstream))
        .thenCompose(
            rebase ->
                rebase.succeeded()
                    ? outcome(git, dir, base, upstream)
                    : abortWithConflict(git, dir, base, rebase.stderr() + rebase.stdout()));
  }

  private static CompletionStage<Synced> abortWithConflict(
      SandboxGit git, String dir, String base, String output) {
    return git.git(dir, "diff", "--name-only", "--diff-filter=U")
        .thenCompose(
            conflicted ->
                git.git(dir, "rebase", "--abort")
                    .thenApply(
                        aborted -> {
                          List<String> files =
                              Arrays.stream(conflicted.stdout().split("\n"))
                                  .map(String::strip)
                                  .filter(f -> !f.isEmpty())
                                  .toList();
                          String detail =
                              files.isEmpty()
                                  ? output.strip()
                                  : "conflicts in " + String.join(", ", files);
                          throw new Conflict(
                              "sync_conflict",
                              "the branch does not rebase cleanly onto origin/"
                                  + base
                                  + ": "
                                  + detail
                                  + "; the rebase was aborted and the branch left as it was."
                                  + " Resolve it in the sandbox (or ask the agent to) and sync"
                                  + " again");
                        }));
  }

  private static CompletionStage<Synced> outcome(
      SandboxGit git, String dir, String base, String upstream) {
    return git.git(dir, "rev-parse", upstream)
        .thenCompose(
            baseCommit ->
                git.git(dir, "rev-parse", "HEAD")
                    .thenCompose(
                        head ->
                            SandboxGitState.collect(git, dir)
                                .thenApply(
                                    state ->
                                        new Synced(
                                            base,
                                            baseCommit.orThrow("git rev-parse").stdout().strip(),
                                            head.orThrow("git rev-parse").stdout().strip(),
                                            state))));
  }
}
