package dev.foundry.backend.http.rest;

import dev.foundry.shared.app.FoundryUser;

/** Response shapes of the REST API that are not shared wire records of {@code foundry-shared}. */
public final class Responses {
  private Responses() {}

  /** {@code GET /v1/auth/session}: who is signed in, and their active organization. */
  public record AuthSession(FoundryUser user, String activeOrganizationId) {}

  /** A fire-and-forget command, durably queued (202): its progress arrives over the WebSocket. */
  public record CommandAccepted(String commandId) {}

  /** A message the agent took: the id of the turn it started (its end arrives over WebSocket). */
  public record MessageAccepted(String turnId) {}

  /** One chunk of a sandbox process's output, as text (UTF-8; invalid bytes replaced). */
  public record ProcessOutput(long sequence, String stream, long timestampMs, String text) {}

  /** Whether a running turn was asked to stop. */
  public record TurnStopped(boolean stopped) {}
}
