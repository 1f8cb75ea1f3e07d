package dev.foundry.sandbox.git;

/** A repository checked out in a sandbox: where, which branch, which commit. */
public record CloneResult(String directory, String branch, String headCommit) {}
