package dev.foundry.backend.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.runtime.ActorDatabase.OutboxRow;
import dev.foundry.backend.runtime.todo.TodoList;
import dev.foundry.backend.runtime.todo.TodoTables;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivered outbox rows leave the file with the actor's next commit, or in a transaction of their
 * own when asked (the actor's timer) or at close; never with a write that was rolled back.
 */
class OutboxDeletesTest {
  @TempDir Path dir;

  private long seqNr;

  /** Stages and commits a command that writes {@code rows} to the outbox, as the actor does. */
  private void command(ActorDatabase db, TodoTables tables, String id, OutboxRow... rows)
      throws SQLException {
    stage(db, tables, id, rows);
    db.commit();
  }

  private void stage(ActorDatabase db, TodoTables tables, String id, OutboxRow... rows)
      throws SQLException {
    db.stage(++seqNr, List.of(), tables, null, () -> List.of(rows), id, 1_000L);
  }

  private static List<String> rowIds(ActorDatabase db) throws SQLException {
    return db.outbox().stream().map(OutboxRow::id).toList();
  }

  private static OutboxRow row(String id) {
    return new OutboxRow(id, "{}");
  }

  @Test
  void anAcknowledgedRowGoesWithTheNextCommitAndNotWithAWriteRolledBack() throws Exception {
    try (ActorDatabase db = ActorDatabase.open(dir.resolve("a.db"), TodoList.KIND.migrations())) {
      TodoTables tables = TodoList.KIND.openTables(db.connection());
      command(db, tables, "c1", row("c1#0"), row("c1#1"));
      db.acknowledgeOutbox("c1#0");
      assertThat(rowIds(db)).as("kept until a commit takes it").containsExactly("c1#0", "c1#1");
      assertThat(db.hasAcknowledged()).isTrue();

      stage(db, tables, "c2");
      db.deleteAcknowledged(); // a staged write is open: its commit deletes them
      db.rollback(); // the journal write failed
      assertThat(rowIds(db)).containsExactly("c1#0", "c1#1");
      assertThat(db.hasAcknowledged()).isTrue();

      command(db, tables, "c3", row("c3#0"));
      assertThat(rowIds(db)).containsExactly("c1#1", "c3#0");
      assertThat(db.hasAcknowledged()).isFalse();
    }
  }

  @Test
  void anActorThatGoesQuietDeletesItsAcknowledgedRowsAloneOrAtClose() throws Exception {
    Path file = dir.resolve("b.db");
    try (ActorDatabase db = ActorDatabase.open(file, TodoList.KIND.migrations())) {
      TodoTables tables = TodoList.KIND.openTables(db.connection());
      command(db, tables, "c1", row("c1#0"), row("c1#1"), row("c1#2"));
      db.acknowledgeOutbox("c1#0");
      db.deleteAcknowledged();
      assertThat(rowIds(db)).containsExactly("c1#1", "c1#2");
      assertThat(db.hasAcknowledged()).isFalse();
      db.acknowledgeOutbox("c1#2");
    }
    try (ActorDatabase db = ActorDatabase.open(file, TodoList.KIND.migrations())) {
      assertThat(rowIds(db)).as("the acknowledged row went at close").containsExactly("c1#1");
    }
  }
}
