package dev.foundry.backend.runtime;

/**
 * A command whose events restate everything it carries (a streamed agent update is one transcript
 * entry with the same payload). When such a command is decided and written at once and succeeds,
 * the journal keeps only its events, not the command beside them, so its payload is journaled once.
 * A queued one is still journaled when accepted (it must be decided later); a failed one keeps its
 * command for inspection.
 */
public interface RestatedByEvents {}
