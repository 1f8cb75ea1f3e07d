package dev.foundry.backend.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the TCK does not check: our configuration, SQLite specifics, restarts on the same file. */
class SqliteJournalPluginTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dataDir;

  @Test
  void persistenceConfIsTheDefaultPluginWithOneWriter() {
    Config config = TestJournalConfig.prepared(dataDir);
    assertThat(config.getString("pekko.persistence.journal.plugin")).isEqualTo("jdbc-journal");
    assertThat(config.getString("pekko.persistence.snapshot-store.plugin"))
        .isEqualTo("jdbc-snapshot-store");
    assertThat(config.getInt("jdbc-journal.parallelism")).isEqualTo(1);
    assertThat(config.getString("pekko-persistence-jdbc.shared-databases.foundry.db.url"))
        .isEqualTo("jdbc:sqlite:" + dataDir.resolve("journal/journal.db"));
  }

  @Test
  void pluginConnectionsRunWalWithFullSyncAndABusyTimeout() throws Exception {
    Config config = TestJournalConfig.prepared(dataDir);
    ActorTestKit testKit = ActorTestKit.create("PragmaTest", config);
    try {
      SlickExtensionImpl slick =
          (SlickExtensionImpl) SlickExtension.get(testKit.system().classicSystem());
      try (Connection c =
              slick
                  .database(config.getConfig("jdbc-journal"))
                  .database()
                  .source()
                  .createConnection();
          Statement s = c.createStatement()) {
        assertThat(single(s, "PRAGMA journal_mode")).isEqualTo("wal");
        assertThat(single(s, "PRAGMA synchronous")).isEqualTo("2"); // FULL
        assertThat(single(s, "PRAGMA busy_timeout")).isEqualTo("10000");
        assertThat(single(s, "PRAGMA foreign_keys")).isEqualTo("1");
      }
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void eventsSurviveARestartOnTheSameFile() throws Exception {
    Config config = TestJournalConfig.prepared(dataDir);
    ActorTestKit first = ActorTestKit.create("RestartTest", config);
    try {
      ActorRef<Recorder.Command> a = first.spawn(Recorder.create("restart-a"));
      append(first, a, List.of("one", "two")).get(30, TimeUnit.SECONDS);
      append(first, a, List.of("three")).get(30, TimeUnit.SECONDS);
    } finally {
      first.shutdownTestKit();
    }

    ActorTestKit second = ActorTestKit.create("RestartTest", TestJournalConfig.prepared(dataDir));
    try {
      ActorRef<Recorder.Command> a = second.spawn(Recorder.create("restart-a"));
      assertThat(get(second, a)).containsExactly("one", "two", "three");
    } finally {
      second.shutdownTestKit();
    }
  }

  /**
   * Tagged events take the plugin's other insert path: {@code INSERT ... RETURNING ordering} row by
   * row (SQLiteProfile reads back one generated key per statement), then the event_tag rows. Many
   * actors at once, several events per write, so each batch holds many rows.
   */
  @Test
  void taggedEventsGetTheOrderingOfTheirOwnRow() throws Exception {
    Config config = TestJournalConfig.prepared(dataDir);
    ActorTestKit testKit = ActorTestKit.create("TagTest", config);
    int actors = 20;
    try {
      List<CompletableFuture<Integer>> writes = new ArrayList<>();
      for (int i = 0; i < actors; i++) {
        String pid = "tagged-" + i;
        ActorRef<Recorder.Command> actor =
            testKit.spawn(Recorder.tagged(pid, Set.of("all", "tag-" + pid)));
        writes.add(append(testKit, actor, List.of(pid + "/1", pid + "/2", pid + "/3")));
      }
      for (CompletableFuture<Integer> w : writes) {
        assertThat(w.get(30, TimeUnit.SECONDS)).isEqualTo(3);
      }
    } finally {
      testKit.shutdownTestKit();
    }

    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + JournalDatabase.journalFile(config));
        Statement s = c.createStatement()) {
      assertThat(single(s, "SELECT count(*) FROM event_journal")).isEqualTo("" + actors * 3);
      assertThat(single(s, "SELECT count(*) FROM event_tag")).isEqualTo("" + actors * 3 * 2);
      // Every row carries exactly its own two tags.
      assertThat(
              single(
                  s,
                  "SELECT count(*) FROM event_journal j WHERE"
                      + " (SELECT count(*) FROM event_tag t WHERE t.event_id = j.ordering"
                      + "   AND t.tag IN ('all', 'tag-' || j.persistence_id)) = 2"))
          .isEqualTo("" + actors * 3);
      // ordering follows the sequence numbers of each persistence id.
      assertThat(
              single(
                  s,
                  "SELECT count(*) FROM event_journal a JOIN event_journal b"
                      + " ON a.persistence_id = b.persistence_id"
                      + " AND a.sequence_number < b.sequence_number AND a.ordering > b.ordering"))
          .isEqualTo("0");
    }
  }

  private static CompletableFuture<Integer> append(
      ActorTestKit testKit, ActorRef<Recorder.Command> actor, List<String> events) {
    return AskPattern.<Recorder.Command, Integer>ask(
            actor, replyTo -> new Recorder.Append(events, replyTo), TIMEOUT, testKit.scheduler())
        .toCompletableFuture();
  }

  private static List<String> get(ActorTestKit testKit, ActorRef<Recorder.Command> actor)
      throws Exception {
    return AskPattern.<Recorder.Command, List<String>>ask(
            actor, Recorder.Get::new, TIMEOUT, testKit.scheduler())
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  private static String single(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
