package dev.foundry.backend.runtime;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.runtime.todo.TodoList;
import dev.foundry.backend.runtime.todo.TodoList.AddItem;
import dev.foundry.backend.runtime.todo.TodoList.ListItems;
import dev.foundry.backend.runtime.todo.TodoTables.Item;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * Backups of actor files: the journal stays bounded, snapshots stay small, and a lost file, or one
 * older than its backup, is rebuilt from the backup and the journal after it.
 */
class ActorBackupsTest {
  private static final String PID = "todo-list|todo/b";

  @TempDir Path dataDir;
  private RuntimeFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private void start() {
    fixture = new RuntimeFixture(dataDir, Duration.ofMinutes(5), 10, List.of(TodoList.KIND));
  }

  private DurableRef<TodoList.Command<?>> list() {
    return fixture.runtime().getOrCreate(TodoList.KIND.type(), TodoList.key("b"));
  }

  private Path actorFile() {
    return new ActorFiles(dataDir).databaseFile("todo-list", TodoList.key("b"));
  }

  private Path backupFile() {
    return new ActorFiles(dataDir).backupFile("todo-list", TodoList.key("b"));
  }

  @Test
  void theJournalStaysBoundedAndSnapshotsDoNotCarryTheFile() throws Exception {
    start();
    for (int i = 0; i < 200; i++) {
      await(list().ask(new AddItem("item " + i + " " + "x".repeat(500))));
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(backupFile()).exists();
              assertThat(count("SELECT count(*) FROM event_journal")).isLessThan(60);
            });
    long largestSnapshot = count("SELECT max(length(snapshot_payload)) FROM snapshot");
    assertThat(largestSnapshot).as("a snapshot without the file").isLessThan(2_000);
    assertThat(Files.size(backupFile())).as("the backup holds the items").isGreaterThan(100_000);
    assertThat(ActorDatabase.appliedSeqNrOf(backupFile())).isGreaterThan(150);
  }

  @Test
  void aLostFileIsRebuiltFromItsBackupAndTheJournalAfterIt() throws Exception {
    start();
    for (int i = 0; i < 100; i++) {
      await(list().ask(new AddItem("i" + i)));
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> count("SELECT min(sequence_number) FROM event_journal") > 50);
    fixture.close();
    Files.delete(actorFile());
    Files.deleteIfExists(actorFile().resolveSibling(actorFile().getFileName() + "-wal"));
    Files.deleteIfExists(actorFile().resolveSibling(actorFile().getFileName() + "-shm"));
    start();
    assertThat(await(list().query(new ListItems())))
        .hasSize(100)
        .extracting(Item::text)
        .startsWith("i0", "i1")
        .endsWith("i99");
    assertThat(await(list().ask(new AddItem("more")))).isEqualTo(101L);
  }

  @Test
  void aFileOlderThanItsBackupIsReplacedByTheBackup() throws Exception {
    start();
    await(list().ask(new AddItem("first")));
    fixture.close();
    Path old = dataDir.resolve("old-copy.db");
    Files.copy(actorFile(), old);
    start();
    for (int i = 0; i < 60; i++) {
      await(list().ask(new AddItem("i" + i)));
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> count("SELECT min(sequence_number) FROM event_journal") > 30);
    fixture.close();
    // A file that lost what it applied after "first" (and whose events the journal no longer has).
    Files.copy(old, actorFile(), StandardCopyOption.REPLACE_EXISTING);
    Files.deleteIfExists(actorFile().resolveSibling(actorFile().getFileName() + "-wal"));
    Files.deleteIfExists(actorFile().resolveSibling(actorFile().getFileName() + "-shm"));
    start();
    assertThat(await(list().query(new ListItems()))).hasSize(61);
  }

  private long count(String sql) throws Exception {
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("journal/journal.db"));
        PreparedStatement s = c.prepareStatement(sql + " WHERE persistence_id = ?")) {
      s.setString(1, PID);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }
}
