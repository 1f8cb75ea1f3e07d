package dev.foundry.backend.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.foundry.backend.runtime.ActorMessage.OutboxDeletes;
import dev.foundry.backend.runtime.ActorMessage.OutboxRetry;
import dev.foundry.backend.runtime.ActorMessage.OutboxSent;
import dev.foundry.backend.runtime.json.JsonTypes;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The transactional outbox of a durable actor: commands for other actors ({@link Outbound}, from
 * {@link Decision#andTell} or {@link DurableActor#durableTells}) are written as rows in the same
 * SQLite transaction as the events that imply them, sent once committed, and deleted when their
 * target acknowledged them ({@link ActorMessage.OutboxSent}); a failed send is retried with a
 * backoff from 500 ms up to 30 s. At least once, also across a crash. An acknowledged row is
 * deleted in the transaction of the actor's next command, or alone after {@link #DELETES_AFTER}: a
 * row of its own would cost a write transaction per delivery.
 *
 * <p>The file is read once per activation (at recovery); after that the rows not yet acknowledged
 * are also kept in memory, added when the command that wrote them commits and removed when
 * acknowledged. Sending after each command then needs neither a query nor parsing the JSON that was
 * just written, and whether anything is left to send is a map lookup.
 */
final class Outbox<C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>> {
  private static final Duration FIRST_RETRY = Duration.ofMillis(500);
  private static final Duration MAX_RETRY = Duration.ofSeconds(30);

  /**
   * How long an acknowledged row may wait for a commit to delete it along with its own writes
   * before it is deleted alone. An actor that keeps working deletes its rows with its commands; one
   * that goes quiet is settled this much later.
   */
  private static final Duration DELETES_AFTER = Duration.ofSeconds(1);

  private static final String DELETES_TIMER = "outbox-deletes";

  private final ActorInstance<C, E, T> instance;
  private final ActorKind<C, E, T> kind;
  private final ActorKey key;
  private final ActorContext<ActorMessage> context;
  private final TimerScheduler<ActorMessage> timers;
  private final JsonTypes json;
  private final DurableActor<C, E, T> actor;
  private final DurableRuntime runtime;

  private final Set<String> inFlight = new HashSet<>();

  /**
   * The rows not acknowledged yet, by id, in the order they were committed; null until the file's
   * rows are read (the first {@link #deliver}). A row read from the file is parsed when sent.
   */
  private Map<String, Pending> undelivered;

  /** An outbox row: its JSON as stored, or the command itself when this activation wrote it. */
  private record Pending(String json, Outbound outbound) {}

  private Duration retryDelay = FIRST_RETRY;

  Outbox(ActorInstance<C, E, T> instance) {
    this.instance = instance;
    this.kind = instance.kind;
    this.key = instance.key;
    this.context = instance.context;
    this.timers = instance.timers;
    this.json = instance.json;
    this.actor = instance.actor;
    this.runtime = instance.runtime;
  }

  /** The commands the actor derives from a command's events, decided under that command's id. */
  @SuppressWarnings("unchecked")
  List<Outbound> durableTells(String id, List<DurableEvent> events) {
    actor.decidingCommand(id);
    try {
      return actor
          .durableTells((List<E>) (List<?>) domainEvents(events), instance.tables())
          .stream()
          .map(Outbound::of)
          .toList();
    } finally {
      actor.decidingCommand(null);
    }
  }

  /** A command's events as the actor sees them: without the {@link Outbound}s among them. */
  static List<DurableEvent> domainEvents(List<DurableEvent> events) {
    return events.stream().filter(e -> !(e instanceof Outbound)).toList();
  }

  /** The outbox rows of a command's events; ids derive from the command id (stable on replay). */
  List<ActorDatabase.OutboxRow> rows(String commandId, List<DurableEvent> events) {
    List<ActorDatabase.OutboxRow> rows = new ArrayList<>();
    int index = 0;
    for (DurableEvent event : events) {
      if (event instanceof Outbound outbound) {
        try {
          rows.add(
              new ActorDatabase.OutboxRow(
                  commandId + "#" + index, json.mapper().writeValueAsString(outbound)));
        } catch (JsonProcessingException e) {
          throw new IllegalStateException("cannot write outbox entry of " + commandId, e);
        }
      }
      index++;
    }
    return rows;
  }

  /**
   * The outbox rows of the command {@code commandId}, whose events (with their {@link Outbound}s,
   * as {@link #rows} numbered them) were just committed: they join the rows to send.
   */
  void committed(String commandId, List<DurableEvent> events) {
    if (undelivered == null) {
      return; // not read yet: the first deliver() reads them from the file
    }
    int index = 0;
    for (DurableEvent event : events) {
      if (event instanceof Outbound outbound) {
        undelivered.put(commandId + "#" + index, new Pending(null, outbound));
      }
      index++;
    }
  }

  /** Sends every undelivered outbox row that is not already on its way. */
  void deliver() {
    if (undelivered == null) {
      try {
        Map<String, Pending> rows = new LinkedHashMap<>();
        for (ActorDatabase.OutboxRow row : instance.database().outbox()) {
          rows.put(row.id(), new Pending(row.outboundJson(), null));
        }
        undelivered = rows;
      } catch (SQLException e) {
        context.getLog().error("{} {}: cannot read the outbox", kind.name(), key, e);
        scheduleRetry();
        return;
      }
    }
    for (Map.Entry<String, Pending> row : undelivered.entrySet()) {
      String rowId = row.getKey();
      if (!inFlight.add(rowId)) {
        continue;
      }
      CompletionStage<String> sent;
      try {
        Pending pending = row.getValue();
        Outbound outbound =
            pending.outbound() != null
                ? pending.outbound()
                : json.mapper().readValue(pending.json(), Outbound.class);
        sent = runtime.deliver(outbound, rowId);
      } catch (Exception e) {
        sent = CompletableFuture.failedFuture(e);
      }
      context.pipeToSelf(sent, (id, failure) -> new OutboxSent(rowId, failure));
    }
  }

  /** A delivery finished: delete the row once acknowledged or refused, retry it otherwise. */
  void onSent(QueueState state, OutboxSent sent) {
    inFlight.remove(sent.id());
    Throwable failure = Failures.cause(sent.failure());
    if (failure instanceof CommandRejectedException rejected) {
      // The target processed the command and refused it: sending it again cannot help.
      context
          .getLog()
          .warn(
              "{} {}: outbox {} refused by its target: {}",
              kind.name(),
              key,
              sent.id(),
              rejected.getMessage());
    } else if (failure != null) {
      context
          .getLog()
          .warn(
              "{} {}: outbox {} not delivered yet: {}",
              kind.name(),
              key,
              sent.id(),
              sent.failure().toString());
      scheduleRetry();
      return;
    }
    instance.database().acknowledgeOutbox(sent.id());
    undelivered.remove(sent.id());
    retryDelay = FIRST_RETRY;
    scheduleDeletes();
  }

  /** Whether rows were acknowledged and not deleted yet. */
  boolean hasAcknowledged() {
    ActorDatabase database = instance.databaseIfOpen();
    return database != null && database.hasAcknowledged();
  }

  /** Deletes the acknowledged rows {@link #DELETES_AFTER} from now unless a commit takes them. */
  void scheduleDeletes() {
    if (!timers.isTimerActive(DELETES_TIMER)) {
      timers.startSingleTimer(DELETES_TIMER, OutboxDeletes.INSTANCE, DELETES_AFTER);
    }
  }

  /**
   * Deletes the acknowledged rows that no commit took along (each commit deletes those acknowledged
   * before it); false when that failed.
   */
  boolean deleteAcknowledged() {
    ActorDatabase database = instance.databaseIfOpen();
    if (database == null) {
      return true;
    }
    try {
      database.deleteAcknowledged();
      return true;
    } catch (SQLException e) {
      context.getLog().warn("{} {}: cannot delete delivered outbox rows", kind.name(), key, e);
      return false;
    }
  }

  private void scheduleRetry() {
    if (!timers.isTimerActive("outbox-retry")) {
      timers.startSingleTimer("outbox-retry", OutboxRetry.INSTANCE, retryDelay);
      retryDelay =
          retryDelay.multipliedBy(2).compareTo(MAX_RETRY) > 0
              ? MAX_RETRY
              : retryDelay.multipliedBy(2);
    }
  }

  /**
   * Nothing to deliver and nothing to delete: no row on its way, and none in the file (if it is
   * open), acknowledged or not.
   */
  boolean isEmpty() {
    if (!inFlight.isEmpty()) {
      return false;
    }
    ActorDatabase database = instance.databaseIfOpen();
    if (database == null) {
      return true;
    }
    if (database.hasAcknowledged()) {
      return false;
    }
    if (undelivered != null) {
      return undelivered.isEmpty();
    }
    try {
      return database.outbox().isEmpty();
    } catch (SQLException e) {
      return false;
    }
  }
}
