package dev.foundry.sandbox.git;

/**
 * A repository cloned into a sandbox: where, which branch, which commit; branch and commit are null
 * when the clone checked nothing out (an empty repository, a remote HEAD naming a missing branch).
 */
public record CloneResult(String directory, String branch, String headCommit) {}
