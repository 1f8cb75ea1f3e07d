package dev.foundry.backend.http.rest;

import dev.foundry.shared.app.FoundryUser;
import java.util.List;

/** Response shapes of the REST API that are not shared wire records of {@code foundry-shared}. */
public final class Responses {
  private Responses() {}

  /** {@code GET /v1/auth/session}: who is signed in, and their active organization. */
  public record AuthSession(FoundryUser user, String activeOrganizationId) {}

  /** A fire-and-forget command, durably queued (202): its progress arrives over the WebSocket. */
  public record CommandAccepted(String commandId) {}

  /** The sandbox processes of a task ({@code sandboxProcesses} topic snapshot). */
  public record SandboxProcesses(List<Object> processes) {}
}
