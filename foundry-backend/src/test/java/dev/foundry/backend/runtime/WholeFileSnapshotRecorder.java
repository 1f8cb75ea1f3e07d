package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.RuntimeFixture.await;

import dev.foundry.backend.runtime.todo.TodoList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Recorded {@code src/test/resources/runtime/whole-file-snapshots} with the release whose snapshots
 * carried a base64 copy of the whole actor file: the todo list {@code old} got 35 items with a
 * snapshot every 10 events, so its journal lost its first events and only the snapshots' copies can
 * rebuild a lost file. {@link WholeFileSnapshotTest} restores from them. Not part of the test suite
 * (its name matches none of Surefire's patterns); it cannot be rerun meaningfully with a newer
 * release, which no longer writes such snapshots.
 */
class WholeFileSnapshotRecorder {
  @Test
  @EnabledIfSystemProperty(named = "snapshots.record", matches = "true")
  void recordsWholeFileSnapshots() throws Exception {
    Path out = Path.of("src/test/resources/runtime/whole-file-snapshots").toAbsolutePath();
    Path data = Files.createTempDirectory("whole-file-snapshots");
    RuntimeFixture fixture =
        new RuntimeFixture(data, Duration.ofMinutes(5), 10, List.of(TodoList.KIND));
    try {
      var list = fixture.runtime().getOrCreate(TodoList.KIND.type(), TodoList.key("old"));
      for (int i = 0; i < 35; i++) {
        await(list.ask(new TodoList.AddItem("o" + i)));
      }
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> count(data, "SELECT min(sequence_number) FROM event_journal") > 1);
    } finally {
      fixture.close();
    }
    checkpoint(data.resolve("journal/journal.db"));
    Path actor = new ActorFiles(data).databaseFile("todo-list", TodoList.key("old"));
    checkpoint(actor);
    Files.createDirectories(out.resolve("journal"));
    Files.copy(data.resolve("journal/journal.db"), out.resolve("journal/journal.db"));
    Path actorOut = out.resolve(data.relativize(actor).toString());
    Files.createDirectories(actorOut.getParent());
    Files.copy(actor, actorOut);
    try (Stream<Path> files = Files.walk(data)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }

  private static long count(Path data, String sql) throws Exception {
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + data.resolve("journal/journal.db"));
        Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private static void checkpoint(Path file) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      s.execute("PRAGMA journal_mode=DELETE");
    }
  }
}
