package dev.foundry.shared.contracts;

/** The answer to attaching to a task: its sandbox target and the current session, if any. */
public record AttachResult(String target, String sessionId) {}
