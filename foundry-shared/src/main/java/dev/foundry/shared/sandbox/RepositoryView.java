package dev.foundry.shared.sandbox;

/** {@code branch}/{@code headCommit} as cloned; {@code pushedCommit} the last one pushed. */
public record RepositoryView(
    String remoteUrl,
    String branch,
    String headCommit,
    String dir,
    String pushedBranch,
    String pushedCommit) {
  public RepositoryView(String remoteUrl, String branch, String headCommit, String dir) {
    this(remoteUrl, branch, headCommit, dir, null, null);
  }
}
