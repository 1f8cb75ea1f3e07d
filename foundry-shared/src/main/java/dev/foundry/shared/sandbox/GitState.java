package dev.foundry.shared.sandbox;

import java.util.List;

/** Part of the sandbox's wire view ({@code GET .../sandbox}). */
public record GitState(
    String branch, int ahead, int behind, List<FileChange> files, int added, int removed) {}
