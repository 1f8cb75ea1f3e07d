package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.runtime.todo.TodoList;
import dev.foundry.backend.runtime.todo.TodoList.AddItem;
import dev.foundry.backend.runtime.todo.TodoList.ListItems;
import dev.foundry.backend.runtime.todo.TodoTables.Item;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots of the previous release (a base64 copy of the whole file, recorded by {@link
 * WholeFileSnapshotRecorder}: 35 items, the journal's first events deleted) still rebuild a lost
 * file, and the actor then moves on to backups.
 */
class WholeFileSnapshotTest {
  private static final String PID = "todo-list|todo/old";

  @TempDir Path dataDir;
  private RuntimeFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private void copyRecording() throws IOException {
    copy("journal/journal.db");
    copy(dataDir.relativize(actorFile()).toString());
  }

  private void copy(String relative) throws IOException {
    Path target = dataDir.resolve(relative);
    Files.createDirectories(target.getParent());
    try (InputStream in =
        getClass().getResourceAsStream("/runtime/whole-file-snapshots/" + relative)) {
      assertThat(in).as(relative).isNotNull();
      Files.copy(in, target);
    }
  }

  private Path actorFile() {
    return new ActorFiles(dataDir).databaseFile("todo-list", TodoList.key("old"));
  }

  private DurableRef<TodoList.Command<?>> list() {
    return fixture.runtime().getOrCreate(TodoList.KIND.type(), TodoList.key("old"));
  }

  @Test
  void aLostFileIsRebuiltFromAWholeFileSnapshotOfThePreviousRelease() throws Exception {
    copyRecording();
    assertThat(count("SELECT min(sequence_number) FROM event_journal WHERE deleted = 0"))
        .as("the journal alone cannot rebuild the file")
        .isGreaterThan(1);
    Files.delete(actorFile());
    fixture = new RuntimeFixture(dataDir, Duration.ofMinutes(5), 10, List.of(TodoList.KIND));
    List<Item> items = await(list().query(new ListItems()));
    assertThat(items).hasSize(35).extracting(Item::text).startsWith("o0").endsWith("o34");
  }

  @Test
  void anActorWithWholeFileSnapshotsMovesOnToBackupsAndTrimsItsJournal() throws Exception {
    copyRecording();
    fixture = new RuntimeFixture(dataDir, Duration.ofMinutes(5), 10, List.of(TodoList.KIND));
    int items = 35;
    while (items < 80) {
      await(list().ask(new AddItem("o" + items++)));
    }
    Path backup = new ActorFiles(dataDir).backupFile("todo-list", TodoList.key("old"));
    // The journal is trimmed only below a snapshot a finished backup covers, and snapshots are
    // taken only once the first backup finished. On a slow machine that backup can finish after
    // the 45 items above, and then nothing is trimmed until the actor works on: so it does.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!trimmedBehind(backup)) {
      assertThat(System.nanoTime())
          .as("the old snapshots and events trimmed behind a backup within 30 s")
          .isLessThan(deadline);
      Thread.sleep(50);
      await(list().ask(new AddItem("o" + items++)));
    }
    fixture.close();
    Files.delete(actorFile());
    Files.deleteIfExists(actorFile().resolveSibling(actorFile().getFileName() + "-wal"));
    Files.deleteIfExists(actorFile().resolveSibling(actorFile().getFileName() + "-shm"));
    fixture = new RuntimeFixture(dataDir, Duration.ofMinutes(5), 10, List.of(TodoList.KIND));
    assertThat(await(list().query(new ListItems())))
        .hasSize(items)
        .extracting(Item::text)
        .startsWith("o0")
        .endsWith("o" + (items - 1));
  }

  /** The whole-file snapshots went with the events below the backup. */
  private boolean trimmedBehind(Path backup) throws Exception {
    return Files.exists(backup)
        && count("SELECT min(sequence_number) FROM snapshot") > 30
        && count("SELECT min(sequence_number) FROM event_journal") > 30;
  }

  private long count(String sql) throws Exception {
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("journal/journal.db"));
        PreparedStatement s =
            c.prepareStatement(
                sql + (sql.contains("WHERE") ? " AND" : " WHERE") + " persistence_id = ?")) {
      s.setString(1, PID);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }
}
