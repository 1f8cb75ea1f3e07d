package dev.foundry.sandbox.session;

import java.util.List;

/**
 * A finished turn: why it stopped, the agent's reply text (its message chunks joined), and every
 * update the turn produced, in order.
 */
public record TurnResult(
    StopReason stopReason, String rawStopReason, String agentText, List<SessionUpdate> updates) {

  public TurnResult {
    updates = List.copyOf(updates);
  }
}
