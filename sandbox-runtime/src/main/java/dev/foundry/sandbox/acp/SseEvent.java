package dev.foundry.sandbox.acp;

/** One server-sent event: {@code id} is -1 when the event carried none. */
public record SseEvent(long id, String event, String data) {}
