package dev.foundry.backend.runtime;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;

/** The protocol of a durable actor as the runtime speaks it. In-process only; never persisted. */
sealed interface ActorMessage {

  /** A command for the queue. {@code create} is false for {@code get}: never create the actor. */
  record Submit(
      String commandId,
      DurableCommand<?> command,
      boolean awaitResult,
      boolean create,
      Duration timeout,
      ActorRef<Reply> replyTo)
      implements ActorMessage {
    /**
     * Whether this command's id is looked up and kept for the redelivery check: not for an ask (its
     * id is new for each call, so it never arrives again) nor for an {@link IdempotentCommand}
     * (running it again changes nothing).
     */
    boolean redeliverable() {
      return !awaitResult && !(command instanceof IdempotentCommand);
    }
  }

  record Query(ActorQuery<?> query, boolean create, ActorRef<Reply> replyTo)
      implements ActorMessage {}

  /** Lists the commands whose handler threw, for inspection. */
  record InspectFailures(ActorRef<Reply> replyTo) implements ActorMessage {}

  /** Everything an operator may read of the actor: queue, failures, outbox, tables. */
  record Inspect(int rowLimit, ActorRef<Reply> replyTo) implements ActorMessage {}

  /** Removes one failed command from the actor's failures (an operator's discard or retry). */
  record DiscardFailure(String commandId, ActorRef<Reply> replyTo) implements ActorMessage {}

  /** Work on the head of the queue, if any. Sent to self after each completion. */
  enum Drain implements ActorMessage {
    INSTANCE
  }

  /**
   * Decide the batched commands buffered so far (see {@code DurableBehavior}'s batch): sent to self
   * when the first one is buffered, so it arrives after every message already waiting.
   */
  enum FlushBatch implements ActorMessage {
    INSTANCE
  }

  /**
   * The gather window numbered {@code window} ended: decide the buffered batch, unless that window
   * was already cut short (a command of another class arrived) and a later one is gathering.
   */
  record GatherEnded(long window) implements ActorMessage {}

  /**
   * The I/O of the head command finished (either way), or its deadline passed ({@code failure} an
   * {@link IoTimeoutException}). {@code stage} numbers the I/O stages of this activation, so a late
   * result of a stage that timed out is told from the current one.
   */
  record IoFinished(
      String commandId, long stage, Object value, Throwable failure, Decision<?> decision)
      implements ActorMessage {}

  /** An outbox row's delivery finished (failure null: the target acknowledged it). */
  record OutboxSent(String id, Throwable failure) implements ActorMessage {}

  enum OutboxRetry implements ActorMessage {
    INSTANCE
  }

  /** Time to delete the outbox rows acknowledged since the last commit ({@link Outbox}). */
  enum OutboxDeletes implements ActorMessage {
    INSTANCE
  }

  record WaitExpired(String commandId, Duration after) implements ActorMessage {}

  /** Nothing happened for the passivation timeout. */
  enum Idle implements ActorMessage {
    INSTANCE
  }

  /** Time to clear the pending-work listing of an actor that has stayed settled. */
  enum Unlist implements ActorMessage {
    INSTANCE
  }

  /**
   * Activates the actor (recovery resumes its queue); sent at start to actors with pending work.
   */
  enum Wake implements ActorMessage {
    INSTANCE
  }

  /**
   * Activates the actor ahead of a command about to come ({@link DurableRef#activate}): its
   * recovery runs meanwhile. Unlike {@link Wake}, an actor not created yet stays (until its idle
   * passivation), as the command is on its way.
   */
  enum Activate implements ActorMessage {
    INSTANCE
  }

  /** From the registry: stop now if idle. */
  enum Stop implements ActorMessage {
    INSTANCE
  }

  /** The answers a caller can receive. */
  sealed interface Reply {}

  record Accepted(String commandId) implements Reply {}

  record Succeeded(String commandId, Object value) implements Reply {}

  record Failed(String commandId, ActorException error) implements Reply {}
}
