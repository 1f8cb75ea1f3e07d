package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.ActorInstance.now;

import dev.foundry.backend.runtime.ActorMessage.Accepted;
import dev.foundry.backend.runtime.ActorMessage.Failed;
import dev.foundry.backend.runtime.ActorMessage.Reply;
import dev.foundry.backend.runtime.ActorMessage.Submit;
import dev.foundry.backend.runtime.RuntimeEvent.CommandExecuted;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Batched commands (docs/architecture.md, "Batched commands"): commands of a class with a batch
 * handler that reach an idle actor are buffered instead of written one by one, and decided together
 * when the actor's {@link ActorMessage.FlushBatch} arrives, which the first of them sent to self:
 * so a batch holds whatever arrived while the actor was busy with its previous write, and one that
 * arrives alone is decided at once.
 *
 * <p>A batch is one journal write: one {@link CommandExecuted} per command that changed something
 * or failed (a rejection or a decision without events writes nothing, as on the fast path), written
 * atomically together, staged in one SQLite transaction (a savepoint per command) and committed
 * after the write. Nothing is acknowledged before that write, so a crash loses only unacknowledged
 * commands, which their senders (an outbox) send again. Replay applies each {@code CommandExecuted}
 * on its own, exactly as for unbatched commands.
 */
final class CommandBatch<
    C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>> {

  /** A batch never grows beyond this: the transaction and the journal write stay small. */
  static final int MAX_COMMANDS = 500;

  private final CommandStaging<C, E, T> staging;

  /** Buffered commands by id (a resubmitted id joins its first copy), in arrival order. */
  private final LinkedHashMap<String, List<Submit>> buffered = new LinkedHashMap<>();

  /** A {@code FlushBatch} is on its way to the actor. */
  private boolean flushScheduled;

  CommandBatch(CommandStaging<C, E, T> staging) {
    this.staging = staging;
  }

  boolean isEmpty() {
    return buffered.isEmpty();
  }

  boolean batchable(DurableCommand<?> command) {
    return staging.batchable(command);
  }

  Duration gatherWindow(DurableCommand<?> command) {
    return staging.gatherWindow(command);
  }

  /**
   * Buffers {@code submit}; true when a {@code FlushBatch} must be sent to self (the first command
   * since the last flush message).
   */
  boolean add(Submit submit) {
    List<Submit> same = buffered.get(submit.commandId());
    if (same != null) {
      same.add(submit);
      return false;
    }
    List<Submit> callers = new ArrayList<>(1);
    callers.add(submit);
    buffered.put(submit.commandId(), callers);
    if (flushScheduled) {
      return false;
    }
    flushScheduled = true;
    return true;
  }

  boolean full() {
    return buffered.size() >= MAX_COMMANDS;
  }

  /** The {@code FlushBatch} arrived: the next buffered command needs a new one. */
  void flushArrived() {
    flushScheduled = false;
  }

  /** A decided batch: what to write to the journal, and how to answer once it is written. */
  record Prepared(List<RuntimeEvent> write, List<Submit> callers, Runnable answer) {}

  /**
   * Decides and stages every buffered command, in arrival order: consecutive commands of one class
   * go to their batch handler together (a {@link Handlers#batchedCommand} class's one by one); a
   * later run sees what the earlier runs staged. {@code firstSeqNr} is the sequence number the
   * first written event will get. {@code finished} reports each command's outcome to the metrics.
   */
  Prepared drain(long firstSeqNr, BiConsumer<Long, Reply> finished) {
    List<List<Submit>> callers = new ArrayList<>(buffered.values());
    buffered.clear();
    long arrived = now();
    List<RuntimeEvent> write = new ArrayList<>();
    List<Outcome> outcomes = new ArrayList<>(callers.size());
    int i = 0;
    while (i < callers.size()) {
      Class<?> type = callers.get(i).get(0).command().getClass();
      int end = i;
      List<String> ids = new ArrayList<>();
      List<DurableCommand<?>> commands = new ArrayList<>();
      // A batched command's run is itself: the next one is decided after it is staged.
      int limit = staging.decidedAlone(callers.get(i).get(0).command()) ? i + 1 : callers.size();
      while (end < limit && callers.get(end).get(0).command().getClass() == type) {
        ids.add(callers.get(end).get(0).commandId());
        commands.add(callers.get(end).get(0).command());
        end++;
      }
      List<Decision<?>> decisions = staging.decideBatch(ids, commands);
      for (int k = 0; k < ids.size(); k++) {
        String id = ids.get(k);
        Decision<?> decision = decisions.get(k);
        if (decision.type == Decision.Type.REJECT) {
          outcomes.add(new Outcome(id, null, new Failed(id, decision.error.toException(id))));
          continue;
        }
        if (decision.type == Decision.Type.AFTER) {
          decision =
              Decision.failed(
                  CommandError.failed(
                      "handler_error", "a batched command cannot wait for I/O (Decision.after)"));
        }
        boolean redeliverable = callers.get(i + k).stream().anyMatch(Submit::redeliverable);
        CommandStaging.Staged staged =
            staging.stage(firstSeqNr + write.size(), id, commands.get(k), decision, redeliverable);
        if (!staged.events().isEmpty() || staged.error() != null) {
          write.add(
              new CommandExecuted(id, commands.get(k), staged.events(), staged.error(), now()));
        }
        outcomes.add(new Outcome(id, staged, null));
      }
      i = end;
    }
    List<Submit> all = new ArrayList<>();
    callers.forEach(all::addAll);
    Runnable answer =
        () -> {
          for (int n = 0; n < outcomes.size(); n++) {
            Outcome outcome = outcomes.get(n);
            Reply reply =
                outcome.rejected != null
                    ? outcome.rejected
                    : staging.finish(outcome.id, outcome.staged);
            for (Submit submit : callers.get(n)) {
              // As on the fast path: wait=false learns of acceptance (a failure is kept for
              // inspection), a rejection is answered to every caller.
              boolean plainAck = !submit.awaitResult() && outcome.rejected == null;
              submit.replyTo().tell(plainAck ? new Accepted(outcome.id) : reply);
            }
            finished.accept(arrived, reply);
          }
        };
    return new Prepared(write, all, answer);
  }

  /** One command's outcome: staged (answered after the write), or rejected. */
  private record Outcome(String id, CommandStaging.Staged staged, Failed rejected) {}
}
