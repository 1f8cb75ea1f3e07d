package dev.foundry.backend.runtime.todo;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.backend.runtime.IdempotentCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** A to-do list: the example of how a product actor is written on the durable runtime. */
public final class TodoList extends DurableActor<TodoList.Command<?>, TodoList.Event, TodoTables> {

  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, TodoTables> KIND =
      ActorKind.define("todo-list", Command.class, Event.class, TodoTables::new, TodoList::new);

  public static ActorKey key(String listId) {
    return ActorKey.of("todo", listId);
  }

  // 2. Commands (imperative, each with its result type) ---------------------------------------

  public sealed interface Command<R> extends DurableCommand<R> {}

  @JsonTypeName("todo.add-item")
  public record AddItem(String text) implements Command<Long> {}

  /**
   * {@link AddItem} written in batches ({@code Handlers.batchedCommand}): each is decided on its
   * own, after the one before it is staged, so each gets the next id.
   */
  @JsonTypeName("todo.add-item-batched")
  public record AddItemBatched(String text) implements Command<Long> {}

  /** A command that changes nothing (as an idempotent repeat): answers the number of items. */
  @JsonTypeName("todo.count-items")
  public record CountItems() implements Command<Integer> {}

  /** Completing an item twice changes nothing: a redelivery runs again instead of a lookup. */
  @JsonTypeName("todo.complete-item")
  public record CompleteItem(long id) implements Command<Boolean>, IdempotentCommand {}

  /**
   * A completion nobody waits for in person: its batch gathers more for up to {@link
   * #COMPLETION_GATHER} before it is decided (as the organization gathers task summaries).
   */
  @JsonTypeName("todo.complete-item-gathered")
  public record CompleteItemGathered(long id) implements Command<Boolean> {}

  /** Long enough that in a test only a command of another class ends the wait. */
  public static final Duration COMPLETION_GATHER = Duration.ofMinutes(1);

  /** A completion whose batch gathers for {@link #SHORT_GATHER}, then is decided by itself. */
  @JsonTypeName("todo.complete-item-soon")
  public record CompleteItemSoon(long id) implements Command<Boolean> {}

  /** Long enough for a test's few asks in a row to join one batch; its end needs nothing else. */
  public static final Duration SHORT_GATHER = Duration.ofMillis(500);

  /** Asks a (slow) outside service to spell-check first: shows I/O off the actor thread. */
  @JsonTypeName("todo.add-checked-item")
  public record AddCheckedItem(String text, long checkMillis) implements Command<Long> {}

  /**
   * Adds an item here and sends a copy to another list, durably (the outbox): shows how one actor
   * tells another without losing the message across a crash.
   */
  @JsonTypeName("todo.share-item")
  public record ShareItem(String text, String toList) implements Command<Long> {}

  /**
   * Asks a spell checker that never answers, unless {@code timeoutMillis} gives the I/O its own
   * deadline: shows that a hung call fails its command with {@code io_timeout} and the queue moves
   * on.
   */
  @JsonTypeName("todo.add-item-checked-by-hung-service")
  public record AddItemCheckedByHungService(String text, long timeoutMillis)
      implements Command<Long> {}

  /** A handler bug, to prove one bad command never wedges the queue. */
  @JsonTypeName("todo.explode")
  public record Explode(String why) implements Command<Void> {}

  // 3. Events (facts, past tense) -------------------------------------------------------------

  public sealed interface Event extends DurableEvent {}

  @JsonTypeName("todo.item-added")
  public record ItemAdded(long id, String text, String commandId) implements Event {}

  @JsonTypeName("todo.item-completed")
  public record ItemCompleted(long id) implements Event {}

  // 4. Queries ----------------------------------------------------------------------------------

  public record ListItems() implements ActorQuery<List<TodoTables.Item>> {}

  /** {@link ListItems} as a kept query: answered again from memory until the items change. */
  public record ListItemsKept() implements ActorQuery<List<TodoTables.Item>> {}

  /** How often {@link ListItemsKept} read the tables (a test observes the keeping with it). */
  public static final AtomicInteger KEPT_READS = new AtomicInteger();

  /** The name of the thread the list's queries run on (a test checks which dispatcher it is). */
  public record ThreadName() implements ActorQuery<String> {}

  // 5. Handlers ---------------------------------------------------------------------------------

  private TodoList(ActorSetup<TodoTables> setup) {
    super(setup);
  }

  @Override
  protected void handlers(Handlers<Command<?>, TodoTables> on) {
    on.command(AddItem.class, this::addItem)
        .batchedCommand(
            AddItemBatched.class, (cmd, tables) -> addItem(new AddItem(cmd.text()), tables))
        // Completions that queue up are decided together, in one journal write.
        .batch(CompleteItem.class, this::completeItems)
        .batch(
            CompleteItemGathered.class,
            COMPLETION_GATHER,
            (cmds, tables) ->
                completeItems(cmds.stream().map(c -> new CompleteItem(c.id())).toList(), tables))
        .batch(
            CompleteItemSoon.class,
            SHORT_GATHER,
            (cmds, tables) ->
                completeItems(cmds.stream().map(c -> new CompleteItem(c.id())).toList(), tables))
        .command(CountItems.class, (cmd, tables) -> Decision.reply(tables.items().size()))
        .command(AddCheckedItem.class, this::addCheckedItem)
        .command(ShareItem.class, this::shareItem)
        .command(AddItemCheckedByHungService.class, this::addItemCheckedByHungService)
        .command(
            Explode.class,
            (cmd, tables) -> {
              throw new IllegalStateException(cmd.why());
            })
        .query(ListItems.class, (q, tables) -> tables.items())
        .query(ThreadName.class, (q, tables) -> Thread.currentThread().getName())
        .keptQuery(
            ListItemsKept.class,
            (q, tables) -> {
              KEPT_READS.incrementAndGet();
              return List.copyOf(tables.items());
            });
  }

  /**
   * An open item whose text starts with {@code wake:} is work outside the queue (as a sandbox's
   * running turn is): the list stays listed for waking at start until it is done.
   */
  @Override
  protected boolean wakeAtStart(TodoTables tables) {
    return tables.items().stream().anyMatch(i -> !i.done() && i.text().startsWith("wake:"));
  }

  private Decision<Long> addItem(AddItem cmd, TodoTables tables) {
    if (cmd.text() == null || cmd.text().isBlank()) {
      return Decision.reject("invalid_text", "text must not be blank");
    }
    long id = tables.nextId();
    return Decision.persist(new ItemAdded(id, cmd.text(), commandId())).thenReply(() -> id);
  }

  private Decision<Long> shareItem(ShareItem cmd, TodoTables tables) {
    long id = tables.nextId();
    // get, not getOrCreate: the other list must exist; until it does, delivery is retried.
    DurableRef<Command<?>> other = runtime().get(KIND.type(), key(cmd.toList()));
    return Decision.persist(new ItemAdded(id, cmd.text(), commandId()))
        .andTell(other, new AddItem(cmd.text()))
        .thenReply(() -> id);
  }

  /**
   * A batch of completions: the decisions are taken before any of them is applied, so an item named
   * twice is completed by the first and the repeat answers as if it came after (already done).
   */
  private List<Decision<Boolean>> completeItems(List<CompleteItem> cmds, TodoTables tables) {
    Set<Long> completing = new HashSet<>();
    List<Decision<Boolean>> decisions = new ArrayList<>(cmds.size());
    for (CompleteItem cmd : cmds) {
      decisions.add(
          completing.add(cmd.id())
              ? completeItem(cmd, tables)
              : tables.exists(cmd.id())
                  ? Decision.reply(false)
                  : Decision.reject("item_not_found", "no item " + cmd.id()));
    }
    return decisions;
  }

  private Decision<Boolean> completeItem(CompleteItem cmd, TodoTables tables) {
    if (!tables.exists(cmd.id())) {
      return Decision.reject("item_not_found", "no item " + cmd.id());
    }
    if (tables.isDone(cmd.id())) {
      return Decision.reply(false);
    }
    return Decision.persist(new ItemCompleted(cmd.id())).thenReply(() -> true);
  }

  private Decision<Long> addCheckedItem(AddCheckedItem cmd, TodoTables tables) {
    CompletionStage<String> checked = spellCheck(cmd.text(), cmd.checkMillis());
    return Decision.after(
        checked,
        text -> {
          long id = tables.nextId(); // back on the actor thread: tables are safe to read
          return Decision.persist(new ItemAdded(id, text, commandId())).thenReply(() -> id);
        });
  }

  private Decision<Long> addItemCheckedByHungService(
      AddItemCheckedByHungService cmd, TodoTables tables) {
    CompletableFuture<String> never = new CompletableFuture<>();
    Function<String, Decision<Long>> then =
        text -> Decision.persist(new ItemAdded(tables.nextId(), text, commandId()));
    return cmd.timeoutMillis() > 0
        ? Decision.after(Duration.ofMillis(cmd.timeoutMillis()), never, then)
        : Decision.after(never, then);
  }

  private CompletionStage<String> spellCheck(String text, long millis) {
    if (text.contains("fail-io")) {
      return CompletableFuture.failedFuture(new IllegalStateException("spell checker is down"));
    }
    return CompletableFuture.supplyAsync(
        text::strip, CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS, executor()));
  }

  // 6. Broadcast after apply --------------------------------------------------------------------

  @Override
  protected void afterApply(List<Event> events, TodoTables tables) {
    // The payload is built only when someone subscribes to this list.
    publish("todo", key().segments().get(1), "todoUpdated", tables::items);
  }
}
