package dev.foundry.shared.sandbox;

import java.util.List;

/** Part of the sandbox's wire view ({@code GET .../sandbox}). */
public record ProcessRecord(
    String processId,
    String command,
    List<String> args,
    String cwd,
    long startedAt,
    Long stoppedAt) {}
