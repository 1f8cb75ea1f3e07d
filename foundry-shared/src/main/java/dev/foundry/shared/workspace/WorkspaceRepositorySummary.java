package dev.foundry.shared.workspace;

/** A repository in an organization's summary, with its task count and latest activity. */
public record WorkspaceRepositorySummary(
    String id, String label, int taskCount, long latestActivityMs) {}
