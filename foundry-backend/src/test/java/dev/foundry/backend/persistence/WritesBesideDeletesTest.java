package dev.foundry.backend.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.typed.DeleteEventsFailed;
import org.apache.pekko.persistence.typed.DeleteSnapshotsFailed;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots and event deletions (other pool connections) while the journal writes without pause.
 * SQLite has one writer: these transactions must wait for the write lock (busy timeout), never
 * fail. The plugin's delete reads before it writes; in a DEFERRED transaction that read pins a WAL
 * snapshot, and a journal commit in between makes the write fail at once with SQLITE_BUSY (no
 * busy-timeout wait) — why persistence.conf uses {@code transaction_mode = IMMEDIATE}.
 */
class WritesBesideDeletesTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Queue<String> FAILURES = new ConcurrentLinkedQueue<>();

  @TempDir Path dataDir;

  /** Snapshots every 5 events, keeps one, deletes the events before it. */
  static final class Truncating extends EventSourcedBehavior<Recorder.Append, String, Long> {
    Truncating(String id) {
      super(PersistenceId.ofUniqueId(id));
    }

    static Behavior<Recorder.Append> create(String id) {
      return new Truncating(id);
    }

    @Override
    public Long emptyState() {
      return 0L;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(5, 1).withDeleteEventsOnSnapshot();
    }

    @Override
    public CommandHandler<Recorder.Append, String, Long> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onAnyCommand(
              (state, cmd) ->
                  Effect().persist(cmd.events()).thenReply(cmd.replyTo(), s -> s.intValue()));
    }

    @Override
    public EventHandler<Long, String> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state + 1);
    }

    @Override
    public SignalHandler<Long> signalHandler() {
      return newSignalHandlerBuilder()
          .onSignal(DeleteEventsFailed.class, (s, f) -> FAILURES.add(f.toString()))
          .onSignal(DeleteSnapshotsFailed.class, (s, f) -> FAILURES.add(f.toString()))
          .onSignal(SnapshotFailed.class, (s, f) -> FAILURES.add(f.toString()))
          .build();
    }
  }

  @Test
  void snapshotsAndDeletesWaitForTheWriterInsteadOfFailing() throws Exception {
    FAILURES.clear();
    var config = TestJournalConfig.prepared(dataDir);
    ActorTestKit testKit = ActorTestKit.create("WritesBesideDeletesTest", config);
    int writers = 30;
    int truncating = 10;
    int rounds = 40;
    long start = System.nanoTime();
    try {
      Executor executor = testKit.system().executionContext();
      List<CompletableFuture<Integer>> loops = new ArrayList<>();
      for (int i = 0; i < writers + truncating; i++) {
        ActorRef<Recorder.Append> actor =
            i < writers
                ? testKit.spawn(Recorder.create("writer-" + i)).<Recorder.Append>narrow()
                : testKit.spawn(Truncating.create("truncating-" + i));
        CompletionStage<Integer> loop = CompletableFuture.completedFuture(0);
        for (int n = 0; n < rounds; n++) {
          String event = "e" + n;
          loop =
              loop.thenComposeAsync(
                  previous ->
                      AskPattern.<Recorder.Append, Integer>ask(
                          actor,
                          replyTo -> new Recorder.Append(List.of(event), replyTo),
                          TIMEOUT,
                          testKit.scheduler()),
                  executor);
        }
        loops.add(loop.toCompletableFuture());
      }
      for (CompletableFuture<Integer> loop : loops) {
        assertThat(loop.get(60, TimeUnit.SECONDS)).isEqualTo(rounds);
      }
      System.out.printf(
          "%d persists beside snapshots and deletes in %d ms%n",
          (writers + truncating) * rounds, (System.nanoTime() - start) / 1_000_000);
      // Deletions follow the snapshot asynchronously. Of 40 events, 35 and before are deleted,
      // except that the plugin keeps the row of the highest deleted one (marked deleted).
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .untilAsserted(() -> assertThat(truncatedRowsLeft(config)).isEqualTo(truncating * 6L));
      assertThat(FAILURES).isEmpty();
    } finally {
      testKit.shutdownTestKit();
    }
  }

  private static long truncatedRowsLeft(com.typesafe.config.Config config) throws Exception {
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + JournalDatabase.journalFile(config));
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM event_journal WHERE persistence_id LIKE 'truncating-%'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
