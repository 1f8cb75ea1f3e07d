package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.runtime.crash.CrashLog;
import dev.foundry.backend.runtime.todo.TodoList;
import dev.foundry.backend.runtime.todo.TodoList.AddItem;
import dev.foundry.backend.runtime.todo.TodoList.AddItemBatched;
import dev.foundry.backend.runtime.todo.TodoList.CompleteItem;
import dev.foundry.backend.runtime.todo.TodoList.ListItems;
import dev.foundry.backend.runtime.todo.TodoTables.Item;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batched commands ({@code Handlers.batch}): commands that queue up at an idle actor are decided
 * together and written with one journal write, with the same outcomes, order and durability as one
 * at a time. The kill -9 contract for batches is in {@code CrashRecoveryTest}.
 */
class BatchedCommandsTest {
  @TempDir Path dataDir;
  private RuntimeFixture fixture;
  private final List<Integer> batches = new CopyOnWriteArrayList<>();

  private void start(List<ActorKind<?, ?, ?>> kinds) {
    fixture = new RuntimeFixture(dataDir, Duration.ofMinutes(5), 500, kinds);
    fixture.withMetrics(
        new RuntimeMetrics() {
          @Override
          public void batchWritten(String kind, int commands) {
            batches.add(commands);
          }
        });
  }

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private DurableRef<TodoList.Command<?>> list(String id) {
    return fixture.runtime().getOrCreate(TodoList.KIND.type(), TodoList.key(id));
  }

  @Test
  void commandsThatQueueUpAreWrittenTogetherWithTheirOwnOutcomes() {
    start(List.of(TodoList.KIND));
    DurableRef<TodoList.Command<?>> ref = list("b");
    int items = 40;
    for (int i = 0; i < items; i++) {
      await(ref.ask(new AddItem("item " + i)));
    }
    // While the actor writes an item, the completions sent meanwhile wait for it and then go
    // together; rounds until one batch held more than one command.
    long[] next = {1};
    await()
        .atMost(Duration.ofSeconds(60))
        .pollDelay(Duration.ZERO)
        .untilAsserted(
            () -> {
              if (next[0] <= items) {
                long first = next[0];
                long last = Math.min(items, first + 9);
                next[0] = last + 1;
                ref.tell(new AddItem("busy"));
                List<CompletableFuture<Boolean>> firsts = new ArrayList<>();
                List<CompletableFuture<Boolean>> repeats = new ArrayList<>();
                for (long id = first; id <= last; id++) {
                  firsts.add(ref.ask(new CompleteItem(id)).toCompletableFuture());
                  repeats.add(ref.ask(new CompleteItem(id)).toCompletableFuture());
                }
                CompletableFuture<Boolean> missing =
                    ref.ask(new CompleteItem(10_000)).toCompletableFuture();
                // Each command has its own outcome: the first completion of an item is true, its
                // repeat (decided in the same batch or after) false, an unknown item refused.
                firsts.forEach(f -> assertThat(await(f)).isTrue());
                repeats.forEach(f -> assertThat(await(f)).isFalse());
                assertThatThrownBy(() -> await(missing))
                    .isInstanceOf(CommandRejectedException.class)
                    .satisfies(
                        e -> assertThat(((ActorException) e).code()).isEqualTo("item_not_found"));
              }
              assertThat(batches).anyMatch(n -> n > 1);
            });
    List<Item> all = await(ref.query(new ListItems()));
    assertThat(all.stream().filter(i -> i.text().startsWith("item ")).filter(Item::done).count())
        .isEqualTo(Math.min(items, next[0] - 1));
  }

  @Test
  void batchedCommandsThatQueueUpAreDecidedOneAfterAnotherAndWrittenTogether() {
    start(List.of(TodoList.KIND));
    DurableRef<TodoList.Command<?>> ref = list("one-by-one");
    await(ref.ask(new AddItem("first")));
    List<CompletableFuture<Long>> added = new CopyOnWriteArrayList<>();
    // Rounds until one write held more than one: each round's adds queue up behind a write.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollDelay(Duration.ZERO)
        .untilAsserted(
            () -> {
              ref.tell(new AddItem("busy"));
              for (int i = 0; i < 10; i++) {
                added.add(
                    ref.ask(new AddItemBatched("batched " + added.size())).toCompletableFuture());
              }
              added.forEach(RuntimeFixture::await);
              assertThat(batches).anyMatch(n -> n > 1);
            });
    // Each saw what the one before it staged: distinct ids, each item added by its own command.
    List<Long> ids = added.stream().map(RuntimeFixture::await).toList();
    assertThat(ids).doesNotHaveDuplicates();
    List<Item> batched =
        await(ref.query(new ListItems())).stream()
            .filter(i -> i.text().startsWith("batched "))
            .toList();
    assertThat(batched).hasSize(added.size());
    assertThat(batched.stream().map(Item::id).toList()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(batched.stream().map(Item::addedByCommand).distinct()).hasSize(added.size());
    // Its handler's rejection is answered as one command's would be.
    assertThatThrownBy(() -> await(ref.ask(new AddItemBatched(" "))))
        .isInstanceOf(CommandRejectedException.class)
        .satisfies(e -> assertThat(((ActorException) e).code()).isEqualTo("invalid_text"));
  }

  @Test
  void aGatheringBatchTakesCommandsThatTrickleInAndEndsWhenAnotherClassArrives() throws Exception {
    start(List.of(TodoList.KIND));
    DurableRef<TodoList.Command<?>> ref = list("gather");
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(await(ref.ask(new AddItem("item " + i))));
    }
    batches.clear();
    // One at a time, each reaching an idle actor: without the gather window each would be a
    // batch of its own.
    List<CompletableFuture<Boolean>> completions = new ArrayList<>();
    for (long id : ids) {
      completions.add(ref.ask(new TodoList.CompleteItemGathered(id)).toCompletableFuture());
      Thread.sleep(30);
    }
    assertThat(completions).noneMatch(CompletableFuture::isDone);
    // A command of another class does not wait behind the window: it ends it, and comes after.
    long added = await(ref.ask(new AddItem("after")));
    completions.forEach(f -> assertThat(await(f)).isTrue());
    assertThat(batches).containsExactly(4);
    assertThat(added).isGreaterThan(ids.get(3));
    assertThat(await(ref.query(new ListItems())))
        .filteredOn(i -> i.text().startsWith("item "))
        .hasSize(4)
        .allMatch(Item::done);
  }

  @Test
  void aGatherWindowEndsByItselfAndALaterWindowIsNotCutShortByAnEarlierOne() throws Exception {
    start(List.of(TodoList.KIND));
    DurableRef<TodoList.Command<?>> ref = list("gather-ends");
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(await(ref.ask(new AddItem("item " + i))));
    }
    batches.clear();
    // A window cut short by another class of command: its end, still on its way or cancelled, must
    // not end the next window early.
    CompletableFuture<Boolean> cut =
        ref.ask(new TodoList.CompleteItemSoon(ids.get(0))).toCompletableFuture();
    await(ref.ask(new AddItem("cuts the window")));
    assertThat(await(cut)).isTrue();
    // The next window: three asks in a row join it, and it ends without any other command.
    List<CompletableFuture<Boolean>> gathered = new ArrayList<>();
    for (long id : ids.subList(1, 4)) {
      gathered.add(ref.ask(new TodoList.CompleteItemSoon(id)).toCompletableFuture());
    }
    gathered.forEach(f -> assertThat(await(f)).isTrue());
    assertThat(batches).containsExactly(1, 3);
    // And again, for a window that follows one that ended by itself.
    List<CompletableFuture<Boolean>> again = new ArrayList<>();
    for (long id : ids.subList(4, 6)) {
      again.add(ref.ask(new TodoList.CompleteItemSoon(id)).toCompletableFuture());
    }
    again.forEach(f -> assertThat(await(f)).isTrue());
    assertThat(batches).containsExactly(1, 3, 2);
  }

  @Test
  void anUnbatchedCommandBetweenBatchedOnesKeepsItsPlace() {
    start(List.of(TodoList.KIND));
    DurableRef<TodoList.Command<?>> ref = list("order");
    long id = await(ref.ask(new AddItem("first")));
    for (int round = 0; round < 20; round++) {
      ref.tell(new AddItem("busy " + round));
      long added = id + 2;
      // Sent in this order: a completion of an item that does not exist yet, the item, and its
      // completion. Arrival order must hold across the batch and the command stashed behind it.
      CompletableFuture<Boolean> early = ref.ask(new CompleteItem(added)).toCompletableFuture();
      CompletableFuture<Long> add = ref.ask(new AddItem("added " + round)).toCompletableFuture();
      CompletableFuture<Boolean> late = ref.ask(new CompleteItem(added)).toCompletableFuture();
      assertThatThrownBy(() -> await(early))
          .isInstanceOf(CommandRejectedException.class)
          .satisfies(e -> assertThat(((ActorException) e).code()).isEqualTo("item_not_found"));
      assertThat(await(add)).isEqualTo(added);
      assertThat(await(late)).isTrue();
      id = added;
    }
    assertThat(await(ref.query(new ListItems())))
        .filteredOn(i -> i.text().startsWith("added "))
        .hasSize(20)
        .allMatch(Item::done);
  }

  @Test
  void anEventThatCannotBeAppliedFailsOnlyItsOwnCommandOfTheBatch() {
    start(List.of(CrashLog.KIND));
    DurableRef<CrashLog.Command> log =
        fixture.runtime().getOrCreate(CrashLog.KIND.type(), ActorKey.of("log", "bad"));
    await(log.ask(new CrashLog.Append(0)));
    List<Long> expected = new ArrayList<>(List.of(0L));
    long[] seq = {1};
    await()
        .atMost(Duration.ofSeconds(60))
        .pollDelay(Duration.ZERO)
        .untilAsserted(
            () -> {
              int before = batches.size();
              long a = seq[0]++;
              long b = seq[0]++;
              log.tell(new CrashLog.Append(1_000_000 + a)); // keeps the actor writing
              CompletableFuture<Long> ok1 =
                  log.ask(new CrashLog.AppendBatched(a)).toCompletableFuture();
              CompletableFuture<Long> bad =
                  log.ask(new CrashLog.AppendBatched(-a)).toCompletableFuture();
              CompletableFuture<Long> ok2 =
                  log.ask(new CrashLog.AppendBatched(b)).toCompletableFuture();
              assertThat(await(ok1)).isEqualTo(a);
              assertThatThrownBy(() -> await(bad))
                  .isInstanceOf(CommandFailedException.class)
                  .satisfies(
                      e -> assertThat(((ActorException) e).code()).isEqualTo("apply_failed"));
              assertThat(await(ok2)).isEqualTo(b);
              expected.addAll(List.of(1_000_000 + a, a, b));
              assertThat(await(log.query(new CrashLog.ReadLog()))).isEqualTo(expected);
              // Until the three went in one batch: the savepoint undid the bad one alone.
              assertThat(batches.subList(before, batches.size())).contains(3);
            });
    assertThat(await(log.failedCommands())).hasSizeGreaterThanOrEqualTo(1);
  }

  @Test
  void aBatchIsReplayedFromTheJournalWhenTheFileIsLost() throws Exception {
    start(List.of(TodoList.KIND));
    DurableRef<TodoList.Command<?>> ref = list("lost");
    for (int i = 0; i < 30; i++) {
      await(ref.ask(new AddItem("i" + i)));
    }
    List<CompletableFuture<Boolean>> done = new ArrayList<>();
    ref.tell(new AddItem("busy"));
    for (long id = 1; id <= 30; id++) {
      done.add(ref.ask(new CompleteItem(id)).toCompletableFuture());
    }
    done.forEach(f -> assertThat(await(f)).isTrue());
    fixture.close();
    Path file = new ActorFiles(dataDir).databaseFile("todo-list", TodoList.key("lost"));
    Files.delete(file);
    Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-wal"));
    Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-shm"));
    fixture = new RuntimeFixture(dataDir, List.of(TodoList.KIND));
    List<Item> items = await(list("lost").query(new ListItems()));
    assertThat(items).hasSize(31);
    assertThat(items.subList(0, 30)).allMatch(Item::done);
    assertThat(await(list("lost").ask(new CompleteItem(1)))).isFalse();
  }
}
