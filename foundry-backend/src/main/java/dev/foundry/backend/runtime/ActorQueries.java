package dev.foundry.backend.runtime;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.ActorMessage.Failed;
import dev.foundry.backend.runtime.ActorMessage.InspectFailures;
import dev.foundry.backend.runtime.ActorMessage.Query;
import dev.foundry.backend.runtime.ActorMessage.Succeeded;
import dev.foundry.backend.runtime.json.JsonTypes;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The reads of a durable actor, answered from its tables without touching the journal: the kind's
 * query handlers and the inspection of failed commands, plus the failed-command rows those read
 * (written by staging, and again on replay).
 */
final class ActorQueries<
    C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>> {
  private final ActorInstance<C, E, T> instance;
  private final ActorKind<C, E, T> kind;
  private final ActorKey key;
  private final ActorContext<ActorMessage> context;
  private final JsonTypes json;
  private final Handlers<C, T> handlers;

  /** Answers of kept queries ({@link Handlers#keptQuery}), valid while the tables stay as read. */
  private final Map<ActorQuery<?>, Object> kept = new HashMap<>();

  /** {@link ActorDatabase#changes()} when {@link #kept} was filled. */
  private long keptAt = -1;

  /** At most this many kept answers per actor: an organization is read for many tasks. */
  private static final int MAX_KEPT = 64;

  ActorQueries(ActorInstance<C, E, T> instance) {
    this.instance = instance;
    this.kind = instance.kind;
    this.key = instance.key;
    this.context = instance.context;
    this.json = instance.json;
    this.handlers = instance.handlers;
  }

  /** Answers a query from the tables with the kind's handler; never journaled. */
  void answer(Query query) {
    BiFunction<Object, T, Object> handler = handlers.queryHandler(query.query().getClass());
    if (handler == Handlers.MISSING || handler == null) {
      query
          .replyTo()
          .tell(
              new Failed(
                  null,
                  new CommandRejectedException(
                      null,
                      "unsupported_query",
                      kind.name()
                          + " has no handler for "
                          + query.query().getClass().getSimpleName())));
      return;
    }
    try {
      boolean keeps = handlers.keeps(query.query().getClass());
      Object value = keeps ? keptAnswer(query.query()) : null;
      if (value == null) {
        value = handler.apply(query.query(), instance.tables());
        if (keeps && value != null && !(value instanceof CompletionStage<?>)) {
          keep(query.query(), value);
        }
      }
      if (value instanceof CompletionStage<?> stage) {
        // Answered once complete, so the answer can cross nodes (a stage cannot): the caller gets
        // a completed stage, as it would have waited for it anyway.
        stage.whenComplete(
            (result, failure) ->
                query
                    .replyTo()
                    .tell(
                        new Succeeded(
                            null,
                            failure == null
                                ? CompletableFuture.completedFuture(result)
                                : CompletableFuture.failedFuture(failure))));
      } else {
        query.replyTo().tell(new Succeeded(null, value));
      }
    } catch (ActorException e) {
      query.replyTo().tell(new Failed(null, e));
    } catch (RuntimeException e) {
      context.getLog().error("{} {}: query {} threw", kind.name(), key, query.query(), e);
      query
          .replyTo()
          .tell(
              new Failed(
                  null,
                  new CommandFailedException(
                      null, "query_failed", String.valueOf(e.getMessage()))));
    }
  }

  private Object keptAnswer(ActorQuery<?> query) {
    long changes = instance.database().changes();
    if (changes != keptAt) {
      kept.clear();
      keptAt = changes;
      return null;
    }
    return kept.get(query);
  }

  private void keep(ActorQuery<?> query, Object value) {
    if (kept.size() >= MAX_KEPT) {
      kept.clear();
    }
    kept.put(query, value);
  }

  /** Lists the failed commands; none for an actor never created (its file must not appear). */
  void inspectFailures(QueueState state, InspectFailures inspect) {
    try {
      List<FailedCommandInfo> out = new ArrayList<>();
      if (state.created) {
        for (ActorDatabase.FailedCommand f : instance.database().failedCommands()) {
          out.add(
              new FailedCommandInfo(
                  f.commandId(),
                  f.commandType(),
                  f.commandJson(),
                  f.error().code(),
                  f.error().message(),
                  f.failedAtMillis()));
        }
      }
      inspect.replyTo().tell(new Succeeded(null, out));
    } catch (SQLException e) {
      inspect
          .replyTo()
          .tell(new Failed(null, new CommandFailedException(null, "query_failed", e.getMessage())));
    }
  }

  /** Everything an operator may read of this actor; the tables only once it was created. */
  void inspect(QueueState state, ActorMessage.Inspect inspect) {
    try {
      List<ActorInspection.PendingCommand> queue = new ArrayList<>();
      for (RuntimeEvent.CommandAccepted a : state.pendingList()) {
        queue.add(
            new ActorInspection.PendingCommand(
                a.commandId(), a.command() == null ? "unknown" : typeName(a.command()), a.at()));
      }
      List<FailedCommandInfo> failed = new ArrayList<>();
      List<ActorInspection.OutboxEntry> outbox = new ArrayList<>();
      List<ActorInspection.Table> tables = List.of();
      if (state.created) {
        ActorDatabase database = instance.database();
        for (ActorDatabase.FailedCommand f : database.failedCommands()) {
          failed.add(info(f));
        }
        for (ActorDatabase.OutboxRow row : database.outbox()) {
          outbox.add(new ActorInspection.OutboxEntry(row.id(), row.outboundJson()));
        }
        tables = TableDump.read(database.connection(), inspect.rowLimit());
      }
      inspect
          .replyTo()
          .tell(
              new Succeeded(
                  null,
                  new ActorInspection(
                      kind.name(),
                      key.canonical(),
                      state.created,
                      state.seqNr,
                      queue,
                      failed,
                      outbox,
                      tables)));
    } catch (SQLException e) {
      inspect
          .replyTo()
          .tell(new Failed(null, new CommandFailedException(null, "query_failed", e.getMessage())));
    }
  }

  /** Removes one failed command; answers whether there was one. */
  void discardFailure(QueueState state, ActorMessage.DiscardFailure discard) {
    try {
      boolean removed = state.created && instance.database().discardFailure(discard.commandId());
      discard.replyTo().tell(new Succeeded(null, removed));
    } catch (SQLException e) {
      discard
          .replyTo()
          .tell(new Failed(null, new CommandFailedException(null, "query_failed", e.getMessage())));
    }
  }

  private static FailedCommandInfo info(ActorDatabase.FailedCommand f) {
    return new FailedCommandInfo(
        f.commandId(),
        f.commandType(),
        f.commandJson(),
        f.error().code(),
        f.error().message(),
        f.failedAtMillis());
  }

  /** The row that keeps a failed command for inspection: its type name and JSON, the error. */
  ActorDatabase.FailedCommand failedCommand(
      String id, DurableCommand<?> command, CommandError error, long at) {
    String type = command == null ? "unknown" : typeName(command);
    String body;
    try {
      body = command == null ? "null" : json.mapper().writeValueAsString(command);
    } catch (Exception e) {
      body = "\"<not serializable: " + e.getMessage() + ">\"";
    }
    return new ActorDatabase.FailedCommand(id, type, body, error, at);
  }

  private static String typeName(Object command) {
    JsonTypeName name = command.getClass().getAnnotation(JsonTypeName.class);
    return name != null ? name.value() : command.getClass().getSimpleName();
  }
}
