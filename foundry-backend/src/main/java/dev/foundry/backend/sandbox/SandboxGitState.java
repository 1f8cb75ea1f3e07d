package dev.foundry.backend.sandbox;

import dev.foundry.sandbox.git.SandboxGit;
import dev.foundry.sandbox.process.ProcessRunResult;
import dev.foundry.shared.sandbox.FileChange;
import dev.foundry.shared.sandbox.GitState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Derives a repository's git state inside the sandbox (spec §5.6): branch, ahead/behind its
 * upstream (else {@code origin/HEAD}), changed files from {@code git status --porcelain=v1 -uall}
 * with line counts from {@code git diff --numstat HEAD} (untracked files against {@code
 * /dev/null}).
 */
final class SandboxGitState {
  private SandboxGitState() {}

  static CompletionStage<GitState> collect(SandboxGit git, String dir) {
    CompletionStage<String> branch =
        git.git(dir, "rev-parse", "--abbrev-ref", "HEAD")
            .thenApply(r -> r.orThrow("git rev-parse --abbrev-ref HEAD").stdout().strip());
    CompletionStage<int[]> aheadBehind =
        git.git(dir, "rev-list", "--left-right", "--count", "@{upstream}...HEAD")
            .thenCompose(
                r ->
                    r.succeeded()
                        ? CompletableFuture.completedFuture(r)
                        : git.git(dir, "rev-list", "--left-right", "--count", "origin/HEAD...HEAD"))
            .thenApply(SandboxGitState::behindAhead);
    CompletionStage<List<String[]>> status =
        git.git(dir, "status", "--porcelain=v1", "-uall")
            .thenApply(r -> parseStatus(r.orThrow("git status").stdout()));
    CompletionStage<Map<String, int[]>> numstat =
        git.git(dir, "diff", "--numstat", "HEAD")
            .thenApply(r -> parseNumstat(r.orThrow("git diff --numstat").stdout()));
    return branch.thenCompose(
        b ->
            aheadBehind.thenCompose(
                ab ->
                    status.thenCompose(
                        st ->
                            numstat.thenCompose(
                                counts ->
                                    untracked(git, dir, st, counts)
                                        .thenApply(all -> state(b, ab, st, all))))));
  }

  private static GitState state(
      String branch, int[] behindAhead, List<String[]> status, Map<String, int[]> counts) {
    List<FileChange> files = new ArrayList<>();
    int added = 0;
    int removed = 0;
    for (String[] entry : status) {
      int[] c = counts.get(entry[1]);
      Integer a = c == null || c[0] < 0 ? null : c[0];
      Integer r = c == null || c[1] < 0 ? null : c[1];
      added += a == null ? 0 : a;
      removed += r == null ? 0 : r;
      files.add(new FileChange(entry[1], entry[0], a, r));
    }
    return new GitState(branch, behindAhead[1], behindAhead[0], files, added, removed);
  }

  /** Line counts of untracked files, which {@code git diff HEAD} does not show. */
  private static CompletionStage<Map<String, int[]>> untracked(
      SandboxGit git, String dir, List<String[]> status, Map<String, int[]> counts) {
    CompletionStage<Map<String, int[]>> all = CompletableFuture.completedFuture(counts);
    for (String[] entry : status) {
      if (!entry[2].equals("??")) {
        continue;
      }
      String path = entry[1];
      all =
          all.thenCompose(
              m ->
                  git.git(dir, "diff", "--no-index", "--numstat", "--", "/dev/null", path)
                      .thenApply(
                          r -> {
                            // exit 1 means "they differ", which is the point here
                            parseNumstat(r.stdout()).values().forEach(v -> m.put(path, v));
                            return m;
                          }));
    }
    return all;
  }

  /** {@code [type (A|M|D), path, xy]} per line of {@code git status --porcelain=v1}. */
  static List<String[]> parseStatus(String out) {
    List<String[]> entries = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.length() < 4) {
        continue;
      }
      String xy = line.substring(0, 2);
      String path = line.substring(3);
      int arrow = path.indexOf(" -> ");
      if (arrow >= 0) {
        path = path.substring(arrow + 4);
      }
      path = unquote(path);
      String type;
      if (xy.equals("??") || xy.charAt(0) == 'A') {
        type = "A";
      } else if (xy.charAt(0) == 'D' || xy.charAt(1) == 'D') {
        type = "D";
      } else {
        type = "M";
      }
      entries.add(new String[] {type, path, xy});
    }
    return entries;
  }

  /** Path to {@code [added, removed]}; {@code -1} for binary files. */
  static Map<String, int[]> parseNumstat(String out) {
    Map<String, int[]> counts = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String[] parts = line.split("\t", 3);
      if (parts.length < 3) {
        continue;
      }
      String path = parts[2];
      int arrow = path.indexOf(" => ");
      if (arrow >= 0) {
        path = path.substring(arrow + 4);
      }
      counts.put(unquote(path), new int[] {number(parts[0]), number(parts[1])});
    }
    return counts;
  }

  private static int[] behindAhead(ProcessRunResult r) {
    if (!r.succeeded()) {
      return new int[] {0, 0};
    }
    String[] parts = r.stdout().strip().split("\\s+");
    return parts.length == 2 ? new int[] {number(parts[0]), number(parts[1])} : new int[] {0, 0};
  }

  private static int number(String s) {
    try {
      return Integer.parseInt(s.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String unquote(String path) {
    return path.length() >= 2 && path.startsWith("\"") && path.endsWith("\"")
        ? path.substring(1, path.length() - 1)
        : path;
  }
}
