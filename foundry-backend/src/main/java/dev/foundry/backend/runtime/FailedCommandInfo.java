package dev.foundry.backend.runtime;

/** A command whose handler threw, as kept in the actor's tables for inspection. */
public record FailedCommandInfo(
    String commandId,
    String commandType,
    String commandJson,
    String errorCode,
    String errorMessage,
    long failedAtMillis) {}
