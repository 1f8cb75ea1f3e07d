package dev.foundry.backend.runtime;

import dev.foundry.backend.runtime.ActorMessage.Accepted;
import dev.foundry.backend.runtime.ActorMessage.Failed;
import dev.foundry.backend.runtime.ActorMessage.Reply;
import dev.foundry.backend.runtime.ActorMessage.Succeeded;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A handle on one actor instance: cheap, immutable, safe to share. Every call returns a stage that
 * fails with an {@link ActorException} subtype on a typed error.
 */
public final class DurableRef<C extends DurableCommand<?>> {
  /** Added to a command's timeout for the reply to travel back before the ask gives up. */
  private static final Duration GRACE = Duration.ofSeconds(5);

  private final DurableRuntime runtime;
  private final ActorKind<C, ?, ?> kind;
  private final ActorKey key;
  private final boolean create;

  DurableRef(DurableRuntime runtime, ActorKind<C, ?, ?> kind, ActorKey key, boolean create) {
    this.runtime = runtime;
    this.kind = kind;
    this.key = key;
    this.create = create;
  }

  public ActorKey key() {
    return key;
  }

  String kindName() {
    return kind.name();
  }

  boolean creates() {
    return create;
  }

  /**
   * Starts the actor's activation (its recovery, which reads the journal) now, for a command that
   * will reach it soon but cannot be sent yet, such as one waiting for the sender's own write: the
   * command then finds the actor ready. Nothing is created or changed; an active actor ignores it.
   */
  public void activate() {
    runtime.routing().tell(kind, key, ActorMessage.Activate.INSTANCE);
  }

  /** {@code wait=false} under a given command id: the outbox's deterministic redelivery. */
  CompletionStage<String> tell(DurableCommand<?> command, String commandId) {
    return send(commandId, command, false, runtime.settings().commandTimeout())
        .thenApply(
            reply -> {
              if (reply instanceof Accepted a) {
                return a.commandId();
              }
              throw unexpected(reply);
            });
  }

  /** {@code wait=true}: the command's result once processed, within the default timeout. */
  public <R> CompletionStage<R> ask(DurableCommand<R> command) {
    return ask(command, runtime.settings().commandTimeout());
  }

  /**
   * {@code wait=true}: the result, or {@link CommandTimeoutException} after {@code timeout} while
   * the command keeps running. The command gets a new id: an actor does not look an ask's id up
   * among the commands it executed, so no ask may reuse one (deliveries under a given id are
   * tells).
   */
  @SuppressWarnings("unchecked")
  public <R> CompletionStage<R> ask(DurableCommand<R> command, Duration timeout) {
    String id = newCommandId();
    return send(id, command, true, timeout)
        .thenApply(
            reply -> {
              if (reply instanceof Succeeded s) {
                return (R) s.value();
              }
              throw unexpected(reply);
            });
  }

  /** {@code wait=false}: completes with the command id once the command is durably queued. */
  public CompletionStage<String> tell(DurableCommand<?> command) {
    String id = newCommandId();
    return send(id, command, false, runtime.settings().commandTimeout())
        .thenApply(
            reply -> {
              if (reply instanceof Accepted a) {
                return a.commandId();
              }
              throw unexpected(reply);
            });
  }

  /** A read from the actor's tables; never journaled. */
  @SuppressWarnings("unchecked")
  public <R> CompletionStage<R> query(ActorQuery<R> query) {
    return this.<Reply>call(
            replyTo -> new ActorMessage.Query(query, create, replyTo),
            runtime.settings().commandTimeout(),
            null)
        .thenApply(reply -> (R) value(reply));
  }

  /**
   * Like {@link #query}, answering null instead of failing when the actor was never created: the
   * read of a {@code get} reference that must not create anything.
   */
  public <R> CompletionStage<R> queryIfExists(ActorQuery<R> query) {
    return query(query)
        .exceptionally(
            failure -> {
              if (Failures.cause(failure) instanceof ActorNotFoundException) {
                return null;
              }
              throw Failures.rethrow(failure);
            });
  }

  /** The commands of this actor whose handler threw, oldest first. */
  @SuppressWarnings("unchecked")
  public CompletionStage<List<FailedCommandInfo>> failedCommands() {
    return this.<Reply>call(
            ActorMessage.InspectFailures::new, runtime.settings().commandTimeout(), null)
        .thenApply(reply -> (List<FailedCommandInfo>) value(reply));
  }

  /** What an operator may read of this actor, tables cut at {@code rowLimit} rows each. */
  public CompletionStage<ActorInspection> inspect(int rowLimit) {
    return this.<Reply>call(
            replyTo -> new ActorMessage.Inspect(rowLimit, replyTo),
            runtime.settings().commandTimeout(),
            null)
        .thenApply(reply -> (ActorInspection) value(reply));
  }

  /** Removes the failed command {@code commandId}; true when it was there. */
  public CompletionStage<Boolean> discardFailure(String commandId) {
    return this.<Reply>call(
            replyTo -> new ActorMessage.DiscardFailure(commandId, replyTo),
            runtime.settings().commandTimeout(),
            null)
        .thenApply(reply -> (Boolean) value(reply));
  }

  private CompletionStage<Reply> send(
      String id, DurableCommand<?> command, boolean wait, Duration timeout) {
    if (!kind.commandType().isInstance(command)) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException(
              kind.name() + " does not accept " + command.getClass().getName()));
    }
    return call(
        replyTo -> new ActorMessage.Submit(id, command, wait, create, timeout, replyTo),
        timeout,
        id);
  }

  private <T> CompletionStage<Reply> call(
      java.util.function.Function<ActorRef<Reply>, ActorMessage> message,
      Duration timeout,
      String commandId) {
    // Back-pressure before anything is queued: beyond the bound Pekko's stash would drop
    // messages silently, and the caller would only see a timeout.
    String actor = kind.name() + " " + key;
    if (commandId != null) {
      // A command while the journal cannot be written would only fail later, after a wait.
      try {
        runtime.storage().checkWritable();
      } catch (StorageUnavailableException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    if (!runtime.admit(actor)) {
      return CompletableFuture.failedFuture(
          new ActorOverloadedException(actor, runtime.settings().maxQueuedPerActor()));
    }
    CompletionStage<Reply> asked = runtime.routing().ask(kind, key, message, timeout.plus(GRACE));
    // Pekko's Java ask returns Scala's CompletableFuture, whose non-async callbacks run on the
    // common pool; on 2 cores that pool is a thread per task (DESIGN.md §7). Complete a plain
    // future on the actor system's dispatcher instead, so callers' chains stay cheap.
    CompletableFuture<Reply> result = new CompletableFuture<>();
    asked.whenCompleteAsync(
        (reply, failure) -> {
          runtime.release(actor);
          if (failure == null) {
            result.complete(reply);
            return;
          }
          Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
          if (failure instanceof TimeoutException || cause instanceof TimeoutException) {
            result.completeExceptionally(
                new CommandTimeoutException(commandId == null ? "query" : commandId, timeout));
          } else {
            result.completeExceptionally(cause);
          }
        },
        runtime.system().executionContext());
    return result;
  }

  private static Object value(Reply reply) {
    if (reply instanceof Succeeded s) {
      return s.value();
    }
    throw unexpected(reply);
  }

  private static RuntimeException unexpected(Reply reply) {
    if (reply instanceof Failed f) {
      return f.error();
    }
    return new IllegalStateException("unexpected reply " + reply);
  }

  private static String newCommandId() {
    return UUID.randomUUID().toString();
  }

  @Override
  public String toString() {
    return kind.name() + " " + key;
  }
}
