package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.ActorInstance.now;

import dev.foundry.backend.runtime.ActorMessage.Failed;
import dev.foundry.backend.runtime.ActorMessage.Reply;
import dev.foundry.backend.runtime.ActorMessage.Succeeded;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * A command's way from decision to commit (docs/architecture.md, "The fast path"): the kind's
 * handler decides on the actor's thread; the decision's events are staged in the actor's SQLite
 * file in a transaction left open, before the journal write, so that an event that cannot be
 * applied fails its own command and never reaches the journal; after the journal write, {@link
 * #finish} commits, runs {@link DurableActor#afterApply} and builds the caller's answer.
 */
final class CommandStaging<
    C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>> {
  private final ActorInstance<C, E, T> instance;
  private final ActorKind<C, E, T> kind;
  private final ActorKey key;
  private final ActorContext<ActorMessage> context;
  private final DurableActor<C, E, T> actor;
  private final Handlers<C, T> handlers;
  private final Outbox<C, E, T> outbox;
  private final ActorQueries<C, E, T> queries;

  CommandStaging(
      ActorInstance<C, E, T> instance, Outbox<C, E, T> outbox, ActorQueries<C, E, T> queries) {
    this.instance = instance;
    this.kind = instance.kind;
    this.key = instance.key;
    this.context = instance.context;
    this.actor = instance.actor;
    this.handlers = instance.handlers;
    this.outbox = outbox;
    this.queries = queries;
  }

  // --- deciding ------------------------------------------------------------------------------

  /** The kind's handler decides {@code command}; a missing handler fails it. */
  Decision<?> decide(String id, DurableCommand<?> command) {
    BiFunction<Object, T, Decision<?>> handler = handlers.commandHandler(command.getClass());
    if (handler == Handlers.MISSING || handler == null) {
      return failedDecision(
          CommandError.failed(
              "unsupported_command", "no handler for " + command.getClass().getSimpleName()));
    }
    return guard(id, () -> handler.apply(command, instance.tables()));
  }

  /** How long a batch that {@code command} starts waits for more ({@link Handlers#batch}). */
  Duration gatherWindow(DurableCommand<?> command) {
    return handlers.gatherWindow(command.getClass());
  }

  /** Whether {@code command}'s class has a batch handler ({@link Handlers#batch}). */
  boolean batchable(DurableCommand<?> command) {
    return handlers.batchHandler(command.getClass()) != null;
  }

  /**
   * Whether {@code command} is decided on its own within a batch ({@link Handlers#batchedCommand}).
   */
  boolean decidedAlone(DurableCommand<?> command) {
    return handlers.decidedAlone(command.getClass());
  }

  /**
   * The batch handler decides {@code commands}, all of one batchable class, together: one decision
   * each, in order. A handler that throws or answers the wrong count fails every command of the
   * run, as a single handler's failure fails its one command.
   */
  List<Decision<?>> decideBatch(List<String> ids, List<DurableCommand<?>> commands) {
    BiFunction<List<Object>, T, List<Decision<?>>> handler =
        handlers.batchHandler(commands.get(0).getClass());
    // commandId() during a batch names its first command (nothing else is one id for all).
    actor.decidingCommand(ids.get(0));
    Decision<?> all;
    try {
      List<Decision<?>> decided = handler.apply(new ArrayList<>(commands), instance.tables());
      if (decided != null && decided.size() == commands.size() && !decided.contains(null)) {
        return decided;
      }
      all =
          failedDecision(
              CommandError.failed("handler_error", "batch handler answered the wrong count"));
    } catch (ActorException e) {
      all =
          e instanceof CommandRejectedException
              ? Decision.reject(e.code(), e.getMessage())
              : failedDecision(CommandError.failed(e.code(), e.getMessage()));
    } catch (RuntimeException e) {
      context.getLog().error("{} {}: batch handler of {} threw", kind.name(), key, ids, e);
      all =
          failedDecision(
              CommandError.failed(
                  "handler_error", e.getClass().getSimpleName() + ": " + e.getMessage()));
    } finally {
      actor.decidingCommand(null);
    }
    return Collections.nCopies(commands.size(), all);
  }

  /**
   * Runs a handler or continuation under the command's id: a rejection, a thrown exception or a
   * missing decision become the command's outcome instead of escaping into the actor.
   */
  Decision<?> guard(String id, Supplier<Decision<?>> decide) {
    actor.decidingCommand(id);
    try {
      Decision<?> d = decide.get();
      if (d == null) {
        return failedDecision(CommandError.failed("handler_error", "handler returned no decision"));
      }
      return d;
    } catch (ActorException e) {
      return e instanceof CommandRejectedException
          ? Decision.reject(e.code(), e.getMessage())
          : failedDecision(CommandError.failed(e.code(), e.getMessage()));
    } catch (RuntimeException e) {
      context.getLog().error("{} {}: handler of command {} threw", kind.name(), key, id, e);
      return failedDecision(
          CommandError.failed(
              "handler_error", e.getClass().getSimpleName() + ": " + e.getMessage()));
    } finally {
      actor.decidingCommand(null);
    }
  }

  /** The outcome of a failed I/O without an {@code onFailure} continuation. */
  Decision<?> ioFailure(String id, Throwable failure) {
    Throwable cause = Failures.cause(failure);
    if (cause instanceof CommandRejectedException rejected) {
      return Decision.reject(rejected.code(), rejected.getMessage());
    }
    if (cause instanceof ActorException ae) {
      return failedDecision(CommandError.failed(ae.code(), ae.getMessage()));
    }
    context
        .getLog()
        .warn("{} {}: I/O of command {} failed: {}", kind.name(), key, id, cause.toString());
    return failedDecision(CommandError.failed("io_failed", String.valueOf(cause.getMessage())));
  }

  /** A decision that completes the command with a FAILED error (kept for inspection). */
  private static Decision<?> failedDecision(CommandError error) {
    return Decision.failed(error);
  }

  // --- staging -------------------------------------------------------------------------------

  /** The outcome of a decision, written to SQLite but not committed until the journal has it. */
  record Staged(List<DurableEvent> events, CommandError error, Supplier<?> reply) {}

  /**
   * Stages the outcome of {@code decision} at journal sequence number {@code seqNr}: its events are
   * applied in a transaction left open until {@link #finish}. Events that cannot be applied fail
   * the command here, before they reach the journal. {@code redeliverable}: whether the command's
   * id is kept for the redelivery check ({@link ActorMessage.Submit#redeliverable}).
   */
  Staged stage(
      long seqNr,
      String id,
      DurableCommand<?> command,
      Decision<?> decision,
      boolean redeliverable) {
    if (decision.type == Decision.Type.PERSIST) {
      List<DurableEvent> events = decision.events;
      for (DurableEvent event : events) {
        if (!kind.eventType().isInstance(event) && !(event instanceof Outbound)) {
          return stageFailure(
              seqNr,
              id,
              command,
              CommandError.failed(
                  "handler_error",
                  "handler returned "
                      + event.getClass().getName()
                      + ", not a "
                      + kind.eventType().getName()),
              redeliverable);
        }
      }
      if (events.isEmpty()) {
        return new Staged(events, null, decision.reply);
      }
      try {
        List<DurableEvent> persisted = new ArrayList<>(events);
        instance
            .database()
            .stage(
                seqNr,
                events,
                instance.tables(),
                null,
                () -> {
                  // Commands the actor derives from its updated tables join the persisted
                  // events, so they are sent durably like Decision.andTell's.
                  persisted.addAll(outbox.durableTells(id, events));
                  List<ActorDatabase.OutboxRow> rows = outbox.rows(id, persisted);
                  if (!rows.isEmpty() || instance.wakeAtStart()) {
                    instance.markPendingWork();
                  }
                  return rows;
                },
                redeliverable ? id : null,
                now());
        return new Staged(List.copyOf(persisted), null, decision.reply);
      } catch (SQLException | RuntimeException e) {
        context
            .getLog()
            .error("{} {}: events of command {} cannot be applied", kind.name(), key, id, e);
        return stageFailure(
            seqNr,
            id,
            command,
            CommandError.failed("apply_failed", "events cannot be applied: " + e.getMessage()),
            redeliverable);
      }
    }
    return stageFailure(seqNr, id, command, decision.error, redeliverable);
  }

  private Staged stageFailure(
      long seqNr, String id, DurableCommand<?> command, CommandError error, boolean redeliverable) {
    try {
      instance
          .database()
          .stage(
              seqNr,
              List.of(),
              instance.tables(),
              queries.failedCommand(id, command, error, now()),
              List::of,
              redeliverable ? id : null,
              now());
    } catch (SQLException | RuntimeException e) {
      context.getLog().error("{} {}: cannot record failure of command {}", kind.name(), key, id, e);
    }
    return new Staged(List.of(), error, null);
  }

  /** After the journal write: commit SQLite, publish, and build the caller's answer. */
  @SuppressWarnings("unchecked")
  Reply finish(String id, Staged staged) {
    ActorDatabase database = instance.databaseIfOpen();
    if (database != null) {
      try {
        database.commit();
      } catch (SQLException e) {
        // The journal has the events; replay on the next activation applies them.
        throw new IllegalStateException(
            kind.name() + " " + key + ": commit failed: " + e.getMessage(), e);
      }
    }
    if (staged.error != null) {
      return new Failed(id, staged.error.toException(id));
    }
    if (!staged.events.isEmpty()) {
      try {
        // commandId() names the command whose events these are, e.g. for dedupe keys.
        actor.decidingCommand(id);
        try {
          actor.afterApply(
              (List<E>) (List<?>) Outbox.domainEvents(staged.events), instance.tables());
        } finally {
          actor.decidingCommand(null);
        }
      } catch (RuntimeException e) {
        context.getLog().error("{} {}: afterApply of command {} threw", kind.name(), key, id, e);
      }
      if (staged.events.stream().anyMatch(e -> e instanceof Outbound)) {
        outbox.committed(id, staged.events);
        outbox.deliver();
      }
    }
    try {
      Object value = staged.reply.get();
      return new Succeeded(id, value);
    } catch (CommandRejectedException e) {
      return new Failed(id, new CommandRejectedException(id, e.code(), e.getMessage()));
    } catch (RuntimeException e) {
      context.getLog().error("{} {}: reply of command {} threw", kind.name(), key, id, e);
      return new Failed(
          id, new CommandFailedException(id, "reply_failed", String.valueOf(e.getMessage())));
    }
  }
}
