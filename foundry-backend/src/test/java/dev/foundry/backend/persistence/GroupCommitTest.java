package dev.foundry.backend.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves group commit: persists of many actors share SQLite transactions. SQLite's own commit and
 * update hooks count the transactions and the journal rows each one inserts (see {@link
 * CommitCountingSqliteDriver}); a single actor persisting sequentially is the control (one commit
 * per persist), so the counting itself is shown to tell the two apart.
 */
class GroupCommitTest {
  private static final int ACTORS = 100;
  private static final int PERSISTS_PER_ACTOR = 20;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dataDir;
  private ActorTestKit testKit;

  @BeforeEach
  void start() {
    Config config =
        TestJournalConfig.prepared(
            dataDir,
            ConfigFactory.parseString(
                "pekko-persistence-jdbc.shared-databases.foundry.db.driver = \""
                    + CommitCountingSqliteDriver.class.getName()
                    + "\""));
    testKit = ActorTestKit.create("GroupCommitTest", config);
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void concurrentPersistsOfManyActorsShareTransactions() throws Exception {
    List<ActorRef<Recorder.Command>> actors = new ArrayList<>();
    for (int i = 0; i < ACTORS; i++) {
      actors.add(testKit.spawn(Recorder.create("group-" + i)));
    }
    // Recovery (reads only) before counting.
    for (ActorRef<Recorder.Command> actor : actors) {
      recovered(actor).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    CommitCountingSqliteDriver.reset();

    Executor executor = testKit.system().executionContext();
    List<CompletableFuture<Integer>> loops = new ArrayList<>();
    for (ActorRef<Recorder.Command> actor : actors) {
      // One persist in flight per actor, the next sent when the previous one is acknowledged.
      CompletionStage<Integer> loop = CompletableFuture.completedFuture(0);
      for (int n = 1; n <= PERSISTS_PER_ACTOR; n++) {
        int seq = n;
        loop = loop.thenComposeAsync(previous -> appendOne(actor, "event-" + seq), executor);
      }
      loops.add(loop.toCompletableFuture());
    }
    for (CompletableFuture<Integer> loop : loops) {
      assertThat(loop.get(60, TimeUnit.SECONDS)).isEqualTo(PERSISTS_PER_ACTOR);
    }

    CommitCountingSqliteDriver.Counts counts = CommitCountingSqliteDriver.counts();
    System.out.println("group commit, " + ACTORS + " actors: " + counts);
    int writes = ACTORS * PERSISTS_PER_ACTOR;
    assertThat(counts.journalRows()).isEqualTo(writes);
    // Without grouping every persist would be its own transaction (journalCommits == writes).
    assertThat(counts.journalCommits()).isLessThanOrEqualTo(writes / 5);
    assertThat(counts.largestJournalCommit()).isGreaterThanOrEqualTo(ACTORS / 4);
  }

  @Test
  void controlOneActorPersistingSequentiallyCommitsEachPersistAlone() throws Exception {
    ActorRef<Recorder.Command> actor = testKit.spawn(Recorder.create("alone"));
    recovered(actor).toCompletableFuture().get(30, TimeUnit.SECONDS);
    CommitCountingSqliteDriver.reset();
    for (int n = 1; n <= 50; n++) {
      assertThat(appendOne(actor, "event-" + n).toCompletableFuture().get(30, TimeUnit.SECONDS))
          .isEqualTo(n);
    }
    CommitCountingSqliteDriver.Counts counts = CommitCountingSqliteDriver.counts();
    System.out.println("control, 1 actor: " + counts);
    assertThat(counts.journalRows()).isEqualTo(50);
    assertThat(counts.journalCommits()).isEqualTo(50);
  }

  private CompletionStage<Integer> appendOne(ActorRef<Recorder.Command> actor, String event) {
    return AskPattern.ask(
        actor,
        replyTo -> new Recorder.Append(List.of(event), replyTo),
        TIMEOUT,
        testKit.scheduler());
  }

  private CompletionStage<Integer> recovered(ActorRef<Recorder.Command> actor) {
    return AskPattern.<Recorder.Command, List<String>>ask(
            actor, Recorder.Get::new, TIMEOUT, testKit.scheduler())
        .thenApply(List::size);
  }
}
