package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.runtime.todo.TodoList;
import dev.foundry.backend.runtime.todo.TodoList.AddCheckedItem;
import dev.foundry.backend.runtime.todo.TodoList.AddItem;
import dev.foundry.backend.runtime.todo.TodoList.AddItemCheckedByHungService;
import dev.foundry.backend.runtime.todo.TodoList.CompleteItem;
import dev.foundry.backend.runtime.todo.TodoList.Explode;
import dev.foundry.backend.runtime.todo.TodoList.ListItems;
import dev.foundry.backend.runtime.todo.TodoList.ListItemsKept;
import dev.foundry.backend.runtime.todo.TodoTables.Item;
import dev.foundry.backend.testing.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DurableRuntimeTest {
  @TempDir Path dataDir;
  private RuntimeFixture fixture;

  /**
   * The journals the runtime runs on. The tests taking a {@code Journal} run on both: the runtime's
   * guarantees (order, existence, resumption, outbox, exactly-once, rebuilding lost files) must not
   * depend on which database holds the journal.
   */
  enum Journal {
    SQLITE,
    POSTGRES
  }

  /** Started by the first test that runs on PostgreSQL; one database per test. */
  private static PostgresServer postgres;

  private Map<String, Object> journal = Map.of();
  private String journalDatabase;

  @AfterAll
  static void stopPostgres() {
    if (postgres != null) {
      postgres.close();
      postgres = null;
    }
  }

  private void use(Journal chosen) {
    if (chosen == Journal.POSTGRES) {
      if (postgres == null) {
        postgres = PostgresServer.start();
      }
      journalDatabase = postgres.createDatabase("runtime");
      journal = postgres.config(journalDatabase);
    }
  }

  /** A new runtime on this test's data directory and journal. */
  private RuntimeFixture fixture(Duration passivateAfter, int snapshotEvery) {
    return new RuntimeFixture(
        dataDir, passivateAfter, snapshotEvery, List.of(TodoList.KIND), journal);
  }

  private RuntimeFixture fixture() {
    return fixture(Duration.ofMinutes(5), 500);
  }

  private RuntimeFixture start(Duration passivateAfter, int snapshotEvery) {
    fixture = fixture(passivateAfter, snapshotEvery);
    return fixture;
  }

  private RuntimeFixture start() {
    return start(Duration.ofMinutes(5), 500);
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

  private List<Item> items(String id) {
    return await(list(id).query(new ListItems()));
  }

  @Test
  void callsBeyondTheQueueBoundAreRefusedAtOnceAndNothingOfThemHappens() {
    start().withMaxQueuedPerActor(3);
    DurableRef<TodoList.Command<?>> ref = list("busy");
    // Slow commands (each waits 1 s for its I/O) keep the first three outstanding.
    List<CompletableFuture<Long>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(ref.ask(new AddCheckedItem("item-" + i, 1000)).toCompletableFuture());
    }
    List<CompletableFuture<Long>> refused =
        calls.stream().filter(CompletableFuture::isCompletedExceptionally).toList();
    assertThat(refused).hasSize(7);
    assertThatThrownBy(() -> await(refused.get(0)))
        .isInstanceOf(ActorOverloadedException.class)
        .satisfies(e -> assertThat(((ActorException) e).code()).isEqualTo("overloaded"));
    calls.stream().filter(c -> !refused.contains(c)).forEach(c -> await(c));

    // Only the admitted ones happened, and the actor takes calls again once they are answered.
    assertThat(items("busy")).extracting(Item::text).containsExactly("item-0", "item-1", "item-2");
    assertThat(await(ref.ask(new AddItem("later")))).isEqualTo(4L);
  }

  @Test
  void waitingCallerGetsTheResultAndStateIsVisibleToQueries() {
    start();
    assertThat(await(list("a").ask(new AddItem("milk")))).isEqualTo(1L);
    assertThat(await(list("a").ask(new AddItem("eggs")))).isEqualTo(2L);
    assertThat(await(list("a").ask(new CompleteItem(1)))).isTrue();
    assertThat(await(list("a").ask(new CompleteItem(1)))).isFalse();
    assertThat(items("a"))
        .extracting(Item::text, Item::done)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("milk", true),
            org.assertj.core.groups.Tuple.tuple("eggs", false));
  }

  @Test
  void anActivatedActorRecoversAheadOfItsCommandAndCreatesNothing() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("activated");
    ref.activate();
    // Running (its recovery done or under way) but not created: no file, nothing journaled.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                await(fixture.runtime().inspector().actors(TodoList.KIND.name())).stream()
                    .anyMatch(
                        a ->
                            ref.key().canonical().equals(a.key())
                                && a.active()
                                && a.file() == null));
    assertThat(
            await(
                fixture
                    .runtime()
                    .get(TodoList.KIND.type(), TodoList.key("activated"))
                    .queryIfExists(new ListItems())))
        .isNull();
    ref.activate();
    assertThat(await(ref.ask(new AddItem("milk")))).isEqualTo(1L);
    assertThat(items("activated")).extracting(Item::text).containsExactly("milk");
  }

  @Test
  void aCommandThatChangesNothingWritesNothing() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("unchanged");
    await(ref.ask(new AddItem("milk")));
    long before = await(ref.inspect(0)).seqNr();
    assertThat(await(ref.ask(new TodoList.CountItems()))).isEqualTo(1);
    assertThat(await(ref.inspect(0)).seqNr()).isEqualTo(before);
    assertThat(await(ref.ask(new AddItem("eggs")))).isEqualTo(2L);
    assertThat(await(ref.inspect(0)).seqNr()).isEqualTo(before + 1);
  }

  @ParameterizedTest
  @EnumSource(Journal.class)
  void fireAndForgetCommandsAreAcknowledgedThenAppliedInArrivalOrder(Journal chosen) {
    use(chosen);
    start();
    DurableRef<TodoList.Command<?>> ref = list("order");
    List<CompletionStage<String>> acks = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      acks.add(ref.tell(new AddItem("item-" + i)));
    }
    List<String> ids = new ArrayList<>();
    for (CompletionStage<String> ack : acks) {
      ids.add(await(ack));
    }
    assertThat(ids).doesNotHaveDuplicates().hasSize(300);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(items("order")).hasSize(300));
    List<Item> items = items("order");
    for (int i = 0; i < 300; i++) {
      assertThat(items.get(i).text()).isEqualTo("item-" + i);
      assertThat(items.get(i).addedByCommand()).isEqualTo(ids.get(i));
    }
  }

  @Test
  void actorsRunOnTheirOwnDispatcherNotTheDefaultOne() {
    start();
    await(list("threads").ask(new AddItem("milk")));
    assertThat(await(list("threads").query(new TodoList.ThreadName())))
        .contains("foundry-actor-dispatcher")
        .doesNotContain("default-dispatcher");
  }

  @Test
  void commandsQueuedBehindIoRunAfterItInArrivalOrder() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("io-order");
    CompletionStage<Long> slow = ref.ask(new AddCheckedItem("  checked  ", 400));
    CompletionStage<Long> fast = ref.ask(new AddItem("plain"));
    CompletionStage<String> queued = ref.tell(new AddItem("queued"));
    assertThat(await(slow)).isEqualTo(1L);
    assertThat(await(fast)).isEqualTo(2L);
    await(queued);
    await()
        .untilAsserted(
            () ->
                assertThat(items("io-order"))
                    .extracting(Item::text)
                    .containsExactly("checked", "plain", "queued"));
  }

  @Test
  void queriesAreAnsweredWhileACommandsIoIsInFlight() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("busy");
    await(ref.ask(new AddItem("before")));
    CompletableFuture<Long> slow =
        ref.ask(new AddCheckedItem("after", 3_000)).toCompletableFuture();
    // The query answers from SQLite although the queue is busy with the slow command.
    List<Item> during = items("busy");
    assertThat(slow).isNotDone();
    assertThat(during).extracting(Item::text).containsExactly("before");
    assertThat(await(slow)).isEqualTo(2L);
    assertThat(items("busy")).extracting(Item::text).containsExactly("before", "after");
  }

  @Test
  void aTimedOutWaiterGetsATimeoutWhileTheCommandStillCompletes() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("slow");
    assertThatThrownBy(
            () -> await(ref.ask(new AddCheckedItem("eventually", 1_500), Duration.ofMillis(200))))
        .isInstanceOf(CommandTimeoutException.class)
        .hasMessageContaining("keeps running");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(items("slow")).extracting(Item::text).containsExactly("eventually"));
  }

  @Test
  void aThrowingHandlerFailsItsCommandKeepsTheReasonAndTheQueueMovesOn() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("bad");
    CompletionStage<Void> exploded = ref.ask(new Explode("disk on fire"));
    CompletionStage<Long> next = ref.ask(new AddItem("still works"));
    assertThatThrownBy(() -> await(exploded))
        .isInstanceOf(CommandFailedException.class)
        .hasMessageContaining("disk on fire");
    assertThat(await(next)).isEqualTo(1L);
    List<FailedCommandInfo> failed = await(ref.failedCommands());
    assertThat(failed).hasSize(1);
    assertThat(failed.get(0).commandType()).isEqualTo("todo.explode");
    assertThat(failed.get(0).commandJson()).contains("disk on fire");
    assertThat(failed.get(0).errorMessage()).contains("disk on fire");
  }

  @Test
  void aThrowingHandlerBehindOtherCommandsDoesNotWedgeTheQueue() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("bad-queued");
    CompletionStage<Long> slow = ref.ask(new AddCheckedItem("first", 300));
    ref.tell(new Explode("queued bug"));
    CompletionStage<Long> after = ref.ask(new AddItem("after the bug"));
    assertThat(await(slow)).isEqualTo(1L);
    assertThat(await(after)).isEqualTo(2L);
    assertThat(await(ref.failedCommands()))
        .extracting(FailedCommandInfo::errorMessage)
        .singleElement()
        .asString()
        .contains("queued bug");
  }

  @Test
  void failedIoFailsTheCommandWithItsReason() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("io-fail");
    assertThatThrownBy(() -> await(ref.ask(new AddCheckedItem("fail-io", 0))))
        .isInstanceOf(CommandFailedException.class)
        .hasMessageContaining("spell checker is down");
    assertThat(await(ref.ask(new AddItem("ok")))).isEqualTo(1L);
  }

  @Test
  void hungIoFailsItsCommandWithIoTimeoutAndTheNextCommandRuns() {
    start().withIoTimeout(Duration.ofMillis(200));
    DurableRef<TodoList.Command<?>> ref = list("hung");
    CompletionStage<Long> hung = ref.ask(new AddItemCheckedByHungService("never", 0));
    // Queued behind the hung I/O: it runs once the deadline fails the command before it.
    CompletionStage<Long> next = ref.ask(new AddItem("after the hang"));

    assertThatThrownBy(() -> await(hung))
        .isInstanceOfSatisfying(
            CommandFailedException.class, e -> assertThat(e.code()).isEqualTo("io_timeout"));
    assertThat(await(next)).isEqualTo(1L);
    assertThat(items("hung")).extracting(Item::text).containsExactly("after the hang");
    assertThat(await(ref.failedCommands()))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.commandType()).isEqualTo("todo.add-item-checked-by-hung-service");
              assertThat(f.errorCode()).isEqualTo("io_timeout");
            });
  }

  @Test
  void aDecisionsOwnIoDeadlineOverridesTheRuntimeDefault() {
    start(); // the runtime's default deadline is minutes; this decision sets 200 ms
    DurableRef<TodoList.Command<?>> ref = list("own-deadline");
    assertThatThrownBy(() -> await(ref.ask(new AddItemCheckedByHungService("never", 200))))
        .isInstanceOfSatisfying(
            CommandFailedException.class, e -> assertThat(e.code()).isEqualTo("io_timeout"));
    assertThat(await(ref.ask(new AddItem("next")))).isEqualTo(1L);
    // I/O that finishes in time is decided as before.
    assertThat(await(ref.ask(new AddCheckedItem(" checked ", 0)))).isEqualTo(2L);
  }

  @Test
  void badInputIsRejectedWithATypedErrorAndChangesNothing() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("strict");
    await(ref.ask(new AddItem("one")));
    assertThatThrownBy(() -> await(ref.ask(new AddItem("  "))))
        .isInstanceOfSatisfying(
            CommandRejectedException.class, e -> assertThat(e.code()).isEqualTo("invalid_text"));
    assertThatThrownBy(() -> await(ref.ask(new CompleteItem(42))))
        .isInstanceOfSatisfying(
            CommandRejectedException.class, e -> assertThat(e.code()).isEqualTo("item_not_found"));
    assertThat(items("strict")).extracting(Item::text).containsExactly("one");
    assertThat(await(ref.failedCommands())).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Journal.class)
  void getFailsClearlyForAnActorNeverCreatedAndExistenceSurvivesRestart(Journal chosen) {
    use(chosen);
    start();
    DurableRef<TodoList.Command<?>> missing =
        fixture.runtime().get(TodoList.KIND.type(), TodoList.key("nope"));
    assertThatThrownBy(() -> await(missing.ask(new AddItem("x"))))
        .isInstanceOf(ActorNotFoundException.class)
        .hasMessageContaining("todo-list")
        .hasMessageContaining("todo/nope");
    assertThatThrownBy(() -> await(missing.query(new ListItems())))
        .isInstanceOf(ActorNotFoundException.class);
    assertThat(new ActorFiles(dataDir).databaseFile("todo-list", TodoList.key("nope")))
        .doesNotExist();

    await(list("yes").ask(new AddItem("created")));
    DurableRef<TodoList.Command<?>> existing =
        fixture.runtime().get(TodoList.KIND.type(), TodoList.key("yes"));
    assertThat(await(existing.ask(new AddItem("second")))).isEqualTo(2L);

    // getOrCreate creates on a query too, durably: the actor then exists for get.
    assertThat(items("by-query")).isEmpty();
    fixture.restart();
    assertThat(
            await(
                fixture
                    .runtime()
                    .get(TodoList.KIND.type(), TodoList.key("by-query"))
                    .query(new ListItems())))
        .isEmpty();
    existing = fixture.runtime().get(TodoList.KIND.type(), TodoList.key("yes"));
    assertThat(await(existing.query(new ListItems()))).hasSize(2);
    DurableRef<TodoList.Command<?>> stillMissing =
        fixture.runtime().get(TodoList.KIND.type(), TodoList.key("nope"));
    assertThatThrownBy(() -> await(stillMissing.query(new ListItems())))
        .isInstanceOf(ActorNotFoundException.class);
  }

  @Test
  void idleActorsPassivateAndReactivateWithTheirState() {
    start(Duration.ofMillis(300), 500);
    for (int i = 0; i < 5; i++) {
      await(list("p" + i).ask(new AddItem("kept " + i)));
    }
    assertThat(await(fixture.runtime().activeCount())).isEqualTo(5);
    await().atMost(Duration.ofSeconds(10)).until(() -> await(fixture.runtime().activeCount()) == 0);
    for (int i = 0; i < 5; i++) {
      assertThat(items("p" + i)).extracting(Item::text).containsExactly("kept " + i);
    }
    assertThat(await(list("p0").ask(new AddItem("after")))).isEqualTo(2L);
  }

  @Test
  void aKeptQueryReadsTheTablesAgainOnlyAfterTheyChanged() {
    start();
    DurableRef<TodoList.Command<?>> ref = list("kept");
    await(ref.ask(new AddItem("one")));
    int before = TodoList.KEPT_READS.get();
    assertThat(await(ref.query(new ListItemsKept()))).extracting(Item::text).containsExactly("one");
    assertThat(await(ref.query(new ListItemsKept()))).extracting(Item::text).containsExactly("one");
    assertThat(TodoList.KEPT_READS.get() - before).isEqualTo(1);

    assertThatThrownBy(() -> await(ref.ask(new AddItem(" "))))
        .isInstanceOf(CommandRejectedException.class);
    assertThat(await(ref.query(new ListItemsKept()))).hasSize(1);
    assertThat(TodoList.KEPT_READS.get() - before).isEqualTo(1); // a refusal changes nothing

    await(ref.ask(new AddItem("two")));
    assertThat(await(ref.query(new ListItemsKept())))
        .extracting(Item::text)
        .containsExactly("one", "two");
    assertThat(await(ref.query(new ListItemsKept()))).hasSize(2);
    assertThat(TodoList.KEPT_READS.get() - before).isEqualTo(2);
  }

  /**
   * Callers send straight to a running instance while the registry keeps stopping and starting
   * instances (a cap of 2 for 6 lists, each round waited for, so the instances are idle and do
   * stop): no message may reach a stopped instance and be lost, and one caller's messages to a list
   * must arrive in the order sent, whichever way each went.
   */
  @Test
  void messagesSentWhileInstancesStopAndStartAreNeitherLostNorReordered() {
    start().withMaxActiveActors(2);
    int lists = 6;
    int rounds = 4;
    int perRound = 150; // enough that a list is still routing when its instance starts
    List<String> expected = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      List<CompletionStage<?>> sent = new ArrayList<>();
      for (int l = 0; l < lists; l++) {
        DurableRef<TodoList.Command<?>> ref = list("churn" + l);
        for (int m = 0; m < perRound - 1; m++) {
          sent.add(ref.tell(new AddItem(r + "." + m)));
        }
        sent.add(ref.ask(new AddItem(r + ".last")));
      }
      sent.forEach(RuntimeFixture::await);
      for (int m = 0; m < perRound - 1; m++) {
        expected.add(r + "." + m);
      }
      expected.add(r + ".last");
    }
    for (int l = 0; l < lists; l++) {
      String id = "churn" + l;
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(items(id)).hasSize(expected.size()));
      assertThat(items(id)).extracting(Item::text).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void theActiveCapPassivatesTheLeastRecentlyUsedIdleActors() {
    start().withMaxActiveActors(10);
    for (int i = 0; i < 40; i++) {
      await(list("cap" + i).ask(new AddItem("n" + i)));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> await(fixture.runtime().activeCount()) <= 10);
    for (int i = 0; i < 40; i++) {
      assertThat(items("cap" + i)).extracting(Item::text).containsExactly("n" + i);
    }
  }

  @ParameterizedTest
  @EnumSource(Journal.class)
  void acceptedCommandsResumeAfterARestartWithoutAnyoneAddressingTheActor(Journal chosen)
      throws Exception {
    use(chosen);
    start();
    DurableRef<TodoList.Command<?>> ref = list("resume");
    await(ref.tell(new AddCheckedItem("resumed", 2_000)));
    await(ref.tell(new AddItem("queued behind it")));
    fixture.restart(); // the I/O in flight is lost with the old actor system
    List<Publication> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable sub = fixture.hub().subscribe("todo", "resume", seen::add)) {
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(seen)
                      .last()
                      .extracting(p -> ((List<?>) p.payload()).size())
                      .isEqualTo(2));
    }
    assertThat(items("resume"))
        .extracting(Item::text)
        .containsExactly("resumed", "queued behind it");
  }

  @Test
  void workOutsideTheQueueKeepsTheActorListedAcrossRestartsUntilItIsDone() throws Exception {
    start();
    DurableRef<TodoList.Command<?>> ref = list("waker");
    long id = await(ref.ask(new AddItem("wake: streams in like a sandbox's turn")));
    assertThat(listedForWaking()).contains(TodoList.key("waker"));

    fixture.restart();
    // Woken at start, the list replays nothing (its file is up to date) and has no queue: it must
    // stay listed, its work is still outside the queue.
    assertThat(items("waker")).extracting(Item::done).containsExactly(false);
    assertThat(listedForWaking()).contains(TodoList.key("waker"));
    fixture.restart();
    assertThat(items("waker")).extracting(Item::done).containsExactly(false);
    assertThat(listedForWaking()).contains(TodoList.key("waker"));

    await(list("waker").ask(new CompleteItem(id)));
    // Right after that write (not at the next start): nothing is left outside the queue.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(listedForWaking()).doesNotContain(TodoList.key("waker")));
  }

  @Test
  void aSettledActorIsUnlistedAMomentLaterOrWhenItStops() {
    start();
    shareFromTo("shared");
    // Delivered: the listing goes once the actor has stayed settled a moment, not at next start.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(listedForWaking()).doesNotContain(TodoList.key("from")));

    shareFromTo("again");
    // Stopping settled clears it too (read before the next runtime starts and wakes anyone).
    List<ActorKey> listedAfterStop = new ArrayList<>();
    fixture.restart(system -> listedAfterStop.addAll(listedForWaking()));
    assertThat(listedAfterStop).doesNotContain(TodoList.key("from"));
  }

  /** The keys of the actors listed in the pending-work file now. */
  private List<ActorKey> listedForWaking() {
    try (PendingWorkFile file = new PendingWorkFile(fixture.dataDir())) {
      return file.all().stream().map(PendingWork.Entry::key).toList();
    }
  }

  @Test
  void anOutboxCommandReachesAnotherActor() {
    start();
    await(list("to").ask(new AddItem("own")));
    shareFromTo("shared");
    assertThat(items("to")).extracting(Item::text).containsExactly("own", "shared");
    assertThat(items("from")).extracting(Item::text).containsExactly("shared");
  }

  /** The list "from" shares {@code text} with the list "to" (an outbox command); waits for it. */
  private void shareFromTo(String text) {
    await(list("from").ask(new TodoList.ShareItem(text, "to")));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(items("to")).extracting(Item::text).contains(text));
  }

  @ParameterizedTest
  @EnumSource(Journal.class)
  void anUndeliveredOutboxCommandIsRetriedAcrossARestartUntilItsTargetExists(Journal chosen) {
    use(chosen);
    start();
    await(list("sender").ask(new TodoList.ShareItem("for later", "not-yet")));
    fixture.restart(); // the sender is woken at start because its outbox is not empty
    await(list("not-yet").ask(new AddItem("first")));
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(items("not-yet"))
                    .extracting(Item::text)
                    .containsExactly("first", "for later"));
    // Woken for its outbox alone, the sender is unlisted once that is delivered.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(listedForWaking()).doesNotContain(TodoList.key("sender")));
  }

  @ParameterizedTest
  @EnumSource(Journal.class)
  void aRedeliveredCommandIsAcknowledgedAndNotAppliedAgainAfterItLeftTheQueue(Journal chosen)
      throws Exception {
    use(chosen);
    start();
    // An outbox delivers under the id of its row; a sender that crashed after the delivery but
    // before deleting the row sends the same id again, possibly much later.
    String id = "sender-command#0";
    assertThat(await(list("dedup").tell(new AddItem("once"), id))).isEqualTo(id);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> assertThat(items("dedup")).extracting(Item::text).containsExactly("once"));

    assertThat(await(list("dedup").tell(new AddItem("once"), id))).isEqualTo(id);
    fixture.restart();
    assertThat(await(list("dedup").tell(new AddItem("once"), id))).isEqualTo(id);
    fixture.close();
    // Also when the actor's file is rebuilt from the journal.
    deleteActorFile("dedup");
    fixture = fixture();
    assertThat(await(list("dedup").tell(new AddItem("once"), id))).isEqualTo(id);

    await(list("dedup").ask(new AddItem("after"))); // queued behind the redeliveries
    assertThat(items("dedup")).extracting(Item::text).containsExactly("once", "after");
  }

  @Test
  void onlyCommandsThatMayArriveAgainKeepTheirIdForTheRedeliveryCheck() throws Exception {
    start();
    // An ask's id is new for each call, so it is never looked up; keeping it would cost two index
    // writes per command for nothing. A tell under a given id (an outbox's) keeps it.
    await(list("ids").ask(new AddItem("asked")));
    await(list("ids").ask(new AddItem("asked again")));
    String told = "sender-command#7";
    await(list("ids").tell(new AddItem("told"), told));
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(items("ids")).hasSize(3));
    fixture.close();

    assertThat(executedIds("ids")).containsExactly(told);

    fixture = fixture();
    assertThat(await(list("ids").tell(new AddItem("told"), told))).isEqualTo(told);
    assertThat(items("ids")).extracting(Item::text).containsExactly("asked", "asked again", "told");
  }

  @Test
  void anIdempotentCommandDeliveredAgainRunsAgainAndChangesNothing() throws Exception {
    start();
    long item = await(list("idem").ask(new AddItem("one")));
    String id = "sender-command#3";
    // CompleteItem is an IdempotentCommand (and batched): not looked up, not kept.
    assertThat(await(list("idem").tell(new CompleteItem(item), id))).isEqualTo(id);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> assertThat(items("idem")).extracting(Item::done).containsExactly(true));
    assertThat(await(list("idem").tell(new CompleteItem(item), id))).isEqualTo(id);
    assertThat(await(list("idem").ask(new AddItem("two")))).isNotEqualTo(item);
    assertThat(items("idem")).extracting(Item::done).containsExactly(true, false);
    fixture.close();

    assertThat(executedIds("idem")).isEmpty();
    fixture = fixture();
    assertThat(items("idem")).extracting(Item::done).containsExactly(true, false);
  }

  private List<String> executedIds(String listId) throws Exception {
    Path file = new ActorFiles(dataDir).databaseFile("todo-list", TodoList.key(listId));
    List<String> kept = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        ResultSet rs =
            c.createStatement().executeQuery("SELECT command_id FROM _runtime_executed_commands")) {
      while (rs.next()) {
        kept.add(rs.getString(1));
      }
    }
    return kept;
  }

  @Test
  void aFileBehindItsJournalIsCaughtUpByReplay() throws Exception {
    start();
    await(list("behind").ask(new AddItem("one")));
    fixture.close();
    Path file = new ActorFiles(dataDir).databaseFile("todo-list", TodoList.key("behind"));
    Path older = dataDir.resolveSibling(dataDir.getFileName() + "-older-file.db");
    Files.copy(file, older);
    fixture = fixture();
    await(list("behind").ask(new AddItem("two")));
    await(list("behind").ask(new AddItem("three")));
    fixture.close();
    // An older copy of the file comes back (a restore of actors/ older than the journal).
    deleteActorFile("behind");
    Files.copy(older, file);
    fixture = fixture();

    assertThat(items("behind")).extracting(Item::text).containsExactly("one", "two", "three");
    await(list("behind").ask(new AddItem("four")));
    assertThat(items("behind")).hasSize(4);
  }

  @Test
  void aFileAheadOfItsJournalIsReportedAndRefusesCommandsWithoutChangingAnything()
      throws Exception {
    start();
    await(list("ahead").ask(new AddItem("one")));
    fixture.close();
    Path journal = dataDir.resolve("journal");
    Path older = dataDir.resolveSibling(dataDir.getFileName() + "-older-journal");
    copyDirectory(journal, older);
    fixture = fixture();
    await(list("ahead").ask(new AddItem("two")));
    fixture.close();
    // The journal goes back in time (an older backup restored beside newer actor files).
    deleteDirectory(journal);
    copyDirectory(older, journal);
    fixture = fixture();

    assertThatThrownBy(() -> await(list("ahead").ask(new AddItem("three"))))
        .isInstanceOf(ActorDivergedException.class)
        .hasMessageContaining("todo-list")
        .hasMessageContaining("its journal ends at");
    assertThat(items("ahead"))
        .as("reads answer from the file, which nothing changed")
        .extracting(Item::text)
        .containsExactly("one", "two");
  }

  @ParameterizedTest
  @EnumSource(Journal.class)
  void stateSurvivesARestart(Journal chosen) {
    use(chosen);
    start();
    await(list("r").ask(new AddItem("one")));
    await(list("r").tell(new AddItem("two")));
    fixture.restart();
    await()
        .untilAsserted(
            () -> assertThat(items("r")).extracting(Item::text).containsExactly("one", "two"));
    assertThat(await(list("r").ask(new AddItem("three")))).isEqualTo(3L);
  }

  @ParameterizedTest
  @EnumSource(Journal.class)
  void aLostActorFileIsRebuiltFromTheJournal(Journal chosen) throws Exception {
    use(chosen);
    start();
    for (int i = 0; i < 7; i++) {
      await(list("lost").ask(new AddItem("i" + i)));
    }
    fixture.close();
    deleteActorFile("lost");
    fixture = fixture();
    assertThat(items("lost")).hasSize(7);
  }

  @ParameterizedTest
  @EnumSource(Journal.class)
  void snapshotsTruncateTheJournalAndRestoreALostFile(Journal chosen) throws Exception {
    use(chosen);
    start(Duration.ofMinutes(5), 10);
    String pid = "todo-list|todo/snap";
    // Backups run off the actor's thread and a snapshot position finds a backup still running on
    // a busy machine (then none starts there), so how many events it takes until the journal is
    // trimmed depends on the machine: add items, ten (a snapshot) at a time, until it is.
    int added = 0;
    while (added < 35 || !trimmed(pid, added)) {
      assertThat(added).as("the journal is trimmed within 400 items").isLessThan(400);
      for (int i = 0; i < 10; i++, added++) {
        await(list("snap").ask(new AddItem("s" + added)));
      }
    }
    fixture.close();
    deleteActorFile("snap");
    fixture = fixture(Duration.ofMinutes(5), 10);
    assertThat(items("snap"))
        .hasSize(added)
        .extracting(Item::text)
        .startsWith("s0", "s1")
        .endsWith("s" + (added - 1));
    assertThat(await(list("snap").ask(new AddItem("more")))).isEqualTo(added + 1L);
  }

  /** A snapshot is stored and the journal holds fewer events than {@code added} commands wrote. */
  private boolean trimmed(String pid, int added) throws Exception {
    return countRows("SELECT COUNT(*) FROM snapshot WHERE persistence_id = ?", pid) > 0
        && countRows(
                "SELECT COUNT(*) FROM event_journal WHERE persistence_id = ? AND NOT deleted", pid)
            < added;
  }

  @Test
  void appliedEventsArePublishedToTheRealtimeHub() throws Exception {
    start();
    List<Publication> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable sub = fixture.hub().subscribe("todo", "live", seen::add)) {
      await(list("live").ask(new AddItem("hello")));
      await(list("live").ask(new AddItem("  ")).exceptionally(e -> null));
      await().untilAsserted(() -> assertThat(seen).hasSize(1));
      assertThat(seen.get(0).event()).isEqualTo("todoUpdated");
      assertThat((List<?>) seen.get(0).payload()).hasSize(1);
    }
  }

  private static void copyDirectory(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(from.relativize(file).toString()));
      }
    }
  }

  private static void deleteDirectory(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }

  private void deleteActorFile(String id) throws Exception {
    Path file = new ActorFiles(dataDir).databaseFile("todo-list", TodoList.key(id));
    assertThat(file).exists();
    Files.delete(file);
    Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-wal"));
    Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-shm"));
  }

  private long countRows(String sql, String pid) throws Exception {
    try (Connection c =
            journalDatabase != null
                ? postgres.connect(journalDatabase)
                : DriverManager.getConnection(
                    "jdbc:sqlite:" + dataDir.resolve("journal/journal.db"));
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, pid);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }
}
