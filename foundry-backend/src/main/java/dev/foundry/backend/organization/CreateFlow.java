package dev.foundry.backend.organization;

import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a new task gets its title and branch (upstream {@code services/create-flow.ts}): a
 * conventional-commit title from the prompt, and an explicit branch name or a generated {@code
 * <noun>-<4 chars>} one that no task of the repository uses.
 */
public final class CreateFlow {
  private static final Pattern EXPLICIT_PREFIX =
      Pattern.compile("^\\s*(feat|fix|docs|refactor):\\s+(.+)$", Pattern.CASE_INSENSITIVE);
  private static final String SUFFIX_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final int MAX_ATTEMPTS = 100;

  /** Hardware-catalogue nouns, in the spirit of upstream's generated names. */
  static final List<String> BRANCH_PREFIXES =
      List.of(
          "anchor",
          "bearing",
          "bolt",
          "bracket",
          "bushing",
          "caster",
          "clamp",
          "coupling",
          "dowel",
          "flange",
          "gasket",
          "gear",
          "grommet",
          "hinge",
          "latch",
          "lever",
          "nut",
          "pulley",
          "rivet",
          "shim",
          "spacer",
          "spring",
          "sprocket",
          "standoff",
          "washer");

  private CreateFlow() {}

  public record Decision(String title, String branchName) {}

  /** The title for {@code task} unless {@code explicitTitle} gives one (spec §4.5). */
  public static String deriveTitle(String task, String explicitTitle) {
    String source =
        explicitTitle != null && !explicitTitle.isBlank()
            ? explicitTitle.strip()
            : firstNonEmptyLine(task);
    if (source.isEmpty()) {
      source = "update task";
    }
    Matcher explicit = EXPLICIT_PREFIX.matcher(source);
    if (explicit.matches()) {
      String summary = clean(explicit.group(2));
      return explicit.group(1).toLowerCase(Locale.ROOT)
          + ": "
          + (summary.isEmpty() ? "update task" : summary);
    }
    String lowered = source.toLowerCase(Locale.ROOT);
    String type =
        lowered.contains("fix") || lowered.contains("bug")
            ? "fix"
            : lowered.contains("doc") || lowered.contains("readme")
                ? "docs"
                : lowered.contains("refactor") ? "refactor" : "feat";
    String summary = clean(source);
    return (type + ": " + (summary.isEmpty() ? "update task" : summary)).strip();
  }

  /**
   * Title and branch for a new task. {@code taken} tells whether a branch already belongs to one of
   * the repository's live tasks (asked per candidate: an organization may hold thousands).
   *
   * @throws IllegalArgumentException when an explicit branch is invalid or taken
   */
  public static Decision decide(
      String task,
      String explicitTitle,
      String explicitBranch,
      Predicate<String> taken,
      RandomGenerator random) {
    String title = deriveTitle(task, explicitTitle);
    if (explicitBranch != null && !explicitBranch.isBlank()) {
      String branch = explicitBranch.strip();
      requireValidBranch(branch);
      if (taken.test(branch)) {
        throw new IllegalStateException("branch '" + branch + "' already belongs to a task");
      }
      return new Decision(title, branch);
    }
    String candidate = generate(random);
    for (int i = 0; taken.test(candidate) && i < MAX_ATTEMPTS; i++) {
      candidate = generate(random);
    }
    return new Decision(title, candidate);
  }

  /** A subset of git's ref-name rules, enough to refuse names a push would refuse. */
  public static void requireValidBranch(String branch) {
    if (branch.length() > 200
        || !branch.matches("[A-Za-z0-9._/-]+")
        || branch.startsWith("-")
        || branch.startsWith("/")
        || branch.endsWith("/")
        || branch.endsWith(".")
        || branch.endsWith(".lock")
        || branch.contains("..")
        || branch.contains("//")
        || branch.contains("/.")
        || branch.startsWith(".")) {
      throw new IllegalArgumentException("'" + branch + "' is not a valid branch name");
    }
  }

  static String generate(RandomGenerator random) {
    StringBuilder b =
        new StringBuilder(BRANCH_PREFIXES.get(random.nextInt(BRANCH_PREFIXES.size())));
    b.append('-');
    for (int i = 0; i < 4; i++) {
      b.append(SUFFIX_CHARS.charAt(random.nextInt(SUFFIX_CHARS.length())));
    }
    return b.toString();
  }

  private static String firstNonEmptyLine(String text) {
    if (text == null) {
      return "";
    }
    for (String line : text.split("\\r?\\n")) {
      if (!line.isBlank()) {
        return line.strip();
      }
    }
    return "";
  }

  /** Letters, digits, spaces and dashes only; single spaces; at most 62 characters. */
  private static String clean(String s) {
    String cleaned = s.replaceAll("[^a-zA-Z0-9 -]", " ").strip().replaceAll("\\s+", " ");
    return cleaned.substring(0, Math.min(62, cleaned.length())).strip();
  }
}
