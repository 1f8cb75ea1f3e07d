package dev.foundry.backend.runtime;

/**
 * A {@link DurableCommand} whose second delivery changes nothing the first did not, by its own
 * rules (a full replacement that refuses anything older than what it holds, say). The runtime does
 * not look its id up among the executed commands nor keep it there: on a busy target, such as an
 * organization taking its tasks' summaries, that saves an indexed read and two index writes per
 * command.
 */
public interface IdempotentCommand {}
