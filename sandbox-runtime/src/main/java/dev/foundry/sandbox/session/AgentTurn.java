package dev.foundry.sandbox.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One prompt turn in flight. {@link #result()} completes with the stop reason once the agent ends
 * the turn, or fails (agent died, deadline passed, session closed). Updates of the turn reach the
 * session's listeners and the turn's own listener before the result completes.
 */
public final class AgentTurn {

  private final AgentSession session;
  private final SessionListener listener;
  private final CompletableFuture<TurnResult> result = new CompletableFuture<>();
  private final List<SessionUpdate> updates = new ArrayList<>();
  private final StringBuilder agentText = new StringBuilder();

  AgentTurn(AgentSession session, SessionListener listener) {
    this.session = session;
    this.listener = listener;
  }

  /** Completes when the turn ends; callbacks chained without an executor run on the client's. */
  public CompletableFuture<TurnResult> result() {
    return result;
  }

  /** Asks the agent to stop this turn; the result then completes with {@code CANCELLED}. */
  public CompletableFuture<Void> cancel() {
    return session.cancel();
  }

  public AgentSession session() {
    return session;
  }

  /** Called on the session's dispatcher, in order. */
  void updateArrived(SessionUpdate update) {
    synchronized (this) {
      updates.add(update);
      if (update instanceof SessionUpdate.AgentMessageChunk) {
        ContentBlock content = ((SessionUpdate.AgentMessageChunk) update).content();
        if (content != null && content.text() != null) {
          agentText.append(content.text());
        }
      }
    }
    if (listener != null) {
      listener.onUpdate(update);
    }
  }

  void finish(String rawStopReason) {
    TurnResult turnResult;
    synchronized (this) {
      turnResult =
          new TurnResult(
              StopReason.fromWire(rawStopReason), rawStopReason, agentText.toString(), updates);
    }
    result.complete(turnResult);
  }

  void fail(Throwable cause) {
    result.completeExceptionally(cause);
  }
}
