package dev.foundry.backend.sandbox;

import dev.foundry.backend.protocol.SandboxProtocol.Command;
import dev.foundry.backend.protocol.SandboxProtocol.RecordSessionUpdate;
import dev.foundry.backend.protocol.SandboxProtocol.RecordSessionUpdates;
import dev.foundry.backend.protocol.SandboxProtocol.StreamedUpdate;
import dev.foundry.backend.runtime.ActorOverloadedException;
import dev.foundry.backend.runtime.CommandTimeoutException;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Failures;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent sessions' listeners report to their sandbox actor (a turn's streamed updates, its
 * end, an agent's exit), delivered in order and not lost when the actor is overloaded.
 *
 * <p>The actor's admission bound ({@code foundry.runtime.max-queued-per-actor}) refuses callers
 * beyond it with {@code overloaded}; these reports are the actor's own and must get in anyway. So
 * one sender per sandbox sends one command at a time, in arrival order, and sends a refused one
 * again after a backoff (20 ms doubling to 2 s) until it is accepted. A turn's updates are batched:
 * the first update of a batch waits for the batch window ({@code
 * foundry.sandbox.transcript-batch-window}, 50 ms by default) and the updates that arrive
 * meanwhile, or queue up while a send is on its way, go as one {@link RecordSessionUpdates} per
 * turn (at most {@value #MAX_BATCH}): one journal write, one realtime frame. A turn's end flushes
 * at once.
 *
 * <p>Memory is bounded: at most {@value #MAX_QUEUED_UPDATES} updates wait. Beyond that a turn's
 * further updates are counted instead of kept, and the transcript gets an {@code updates_dropped}
 * entry with the count where they were. The end of a turn and an agent's exit are never dropped
 * (there is one per turn): they wait behind the updates before them and are sent again also after a
 * timeout (their handlers ignore a repeat). Updates are not sent again after a timeout (the actor
 * may have taken them; a repeat would duplicate them in the transcript).
 */
final class ListenerDeliveries {
  private static final Logger log = LoggerFactory.getLogger(ListenerDeliveries.class);

  static final int MAX_QUEUED_UPDATES = 10_000;
  static final int MAX_BATCH = 200;
  static final String UPDATES_DROPPED = "updates_dropped";
  private static final long FIRST_RETRY_MILLIS = 20;
  private static final long MAX_RETRY_MILLIS = 2_000;

  private final DurableRef<Command<?>> actor;
  private final Executor executor;

  /** Waiting to be sent, in arrival order. Guarded by {@code this}. */
  private final ArrayDeque<Command<?>> queue = new ArrayDeque<>();

  /** Updates waiting or on their way (counted against {@link #MAX_QUEUED_UPDATES}). */
  private int updates;

  private boolean sending;
  private boolean closed;
  private long retryMillis = FIRST_RETRY_MILLIS;

  /** How long the first update of a batch waits for others; zero sends at once. */
  private final Duration window;

  /** A flush after the window is scheduled. */
  private boolean flushScheduled;

  /** Without a batch window: each update goes as soon as nothing else is on its way. */
  ListenerDeliveries(DurableRef<Command<?>> actor, Executor executor) {
    this(actor, executor, Duration.ZERO);
  }

  ListenerDeliveries(DurableRef<Command<?>> actor, Executor executor, Duration window) {
    this.actor = actor;
    this.executor = executor;
    this.window = window;
  }

  /** A streamed update of a running turn. */
  synchronized void update(RecordSessionUpdate update) {
    if (closed) {
      return;
    }
    if (updates >= MAX_QUEUED_UPDATES) {
      countDropped(update);
      return;
    }
    updates++;
    queue.addLast(update);
    if (window.isZero()) {
      sendNext();
    } else if (!flushScheduled && !sending) {
      flushScheduled = true;
      CompletableFuture.delayedExecutor(window.toNanos(), TimeUnit.NANOSECONDS, executor)
          .execute(this::flush);
    }
  }

  /** The batch window passed: what waits goes (unless a send is on its way; it follows that). */
  private synchronized void flush() {
    flushScheduled = false;
    sendNext();
  }

  /** A turn's end or an agent's exit: sent after what came before it, until accepted. */
  synchronized void end(Command<?> end) {
    if (closed) {
      return;
    }
    queue.addLast(end);
    sendNext();
  }

  /** The actor system is ending: nothing more is sent (a restart repairs what was running). */
  synchronized void close() {
    closed = true;
    queue.clear();
  }

  private void countDropped(RecordSessionUpdate update) {
    Command<?> last = queue.peekLast();
    if (last instanceof RecordSessionUpdate marker
        && UPDATES_DROPPED.equals(marker.kind())
        && marker.sessionId().equals(update.sessionId())
        && marker.turnId().equals(update.turnId())) {
      queue.removeLast();
      queue.addLast(droppedMarker(update, droppedCount(marker) + 1));
    } else {
      queue.addLast(droppedMarker(update, 1));
      log.warn(
          "{}: more than {} updates wait; further updates of {} are counted, not kept",
          actor,
          MAX_QUEUED_UPDATES,
          update.turnId());
    }
  }

  private static RecordSessionUpdate droppedMarker(RecordSessionUpdate of, long count) {
    return new RecordSessionUpdate(
        of.sessionId(),
        of.turnId(),
        UPDATES_DROPPED,
        "{\"sessionUpdate\":\"" + UPDATES_DROPPED + "\",\"count\":" + count + "}");
  }

  private static long droppedCount(RecordSessionUpdate marker) {
    String json = marker.payloadJson();
    int at = json.indexOf("\"count\":");
    return Long.parseLong(json.substring(at + 8, json.length() - 1));
  }

  /** Takes the next command off the queue (a run of one turn's updates as one) and sends it. */
  private void sendNext() {
    if (sending || closed || queue.isEmpty()) {
      return;
    }
    sending = true;
    List<Command<?>> taken = new ArrayList<>();
    Command<?> head = queue.pollFirst();
    taken.add(head);
    Command<?> command = head;
    if (head instanceof RecordSessionUpdate first && !UPDATES_DROPPED.equals(first.kind())) {
      List<StreamedUpdate> batch = new ArrayList<>();
      batch.add(new StreamedUpdate(first.kind(), first.payloadJson()));
      while (batch.size() < MAX_BATCH
          && queue.peekFirst() instanceof RecordSessionUpdate next
          && !UPDATES_DROPPED.equals(next.kind())
          && next.sessionId().equals(first.sessionId())
          && next.turnId().equals(first.turnId())) {
        queue.pollFirst();
        taken.add(next);
        batch.add(new StreamedUpdate(next.kind(), next.payloadJson()));
      }
      if (batch.size() > 1) {
        command = new RecordSessionUpdates(first.sessionId(), first.turnId(), batch);
      }
    }
    Command<?> sent = command;
    actor.tell(sent).whenComplete((id, failure) -> sent(taken, sent, failure));
  }

  private synchronized void sent(List<Command<?>> taken, Command<?> command, Throwable failure) {
    sending = false;
    Throwable cause = failure == null ? null : Failures.cause(failure);
    boolean isEnd =
        !(command instanceof RecordSessionUpdate || command instanceof RecordSessionUpdates);
    if (cause instanceof ActorOverloadedException
        || (isEnd && cause instanceof CommandTimeoutException)) {
      // Not taken (or, for an end, perhaps not): put back in front, in order, and try again.
      for (int i = taken.size() - 1; i >= 0; i--) {
        queue.addFirst(taken.get(i));
      }
      long delay = retryMillis;
      retryMillis = Math.min(MAX_RETRY_MILLIS, retryMillis * 2);
      sending = true; // nothing else goes first
      CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, executor)
          .execute(this::retry);
      return;
    }
    retryMillis = FIRST_RETRY_MILLIS;
    for (Command<?> c : taken) {
      if (c instanceof RecordSessionUpdate u && !UPDATES_DROPPED.equals(u.kind())) {
        updates--;
      }
    }
    if (cause != null) {
      log.warn("{} to {} not delivered: {}", command.getClass().getSimpleName(), actor, cause);
    }
    sendNext();
  }

  private synchronized void retry() {
    sending = false;
    sendNext();
  }
}
