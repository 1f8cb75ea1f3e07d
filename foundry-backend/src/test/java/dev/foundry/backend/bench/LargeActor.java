package dev.foundry.backend.bench;

import dev.foundry.backend.runtime.ActorFiles;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.RuntimeSettings;
import dev.foundry.backend.runtime.todo.TodoList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code scripts/bench runtime --large-actor-mb N}: command latency of an actor whose SQLite file
 * holds N MB, against a small actor in the same run. The large file is filled directly (rows of 64
 * KB in the todo list's table, then the runtime restarts), so the journal does not have to carry N
 * MB first. Both actors run at the production settings: a snapshot every 500 events, a backup every
 * 5,000, so the large actor is snapshotted and backed up during its measurement.
 */
final class LargeActor {
  private static final int SNAPSHOT_EVERY = 500;
  private static final int BACKUP_EVERY = 5000;

  private LargeActor() {}

  static Map<String, Object> run(Path dir, int megabytes, int seconds) throws Exception {
    RuntimeSettings settings =
        new RuntimeSettings(
            dir,
            Duration.ofMinutes(10),
            Duration.ofSeconds(30),
            SNAPSHOT_EVERY,
            2000,
            RuntimeSettings.DEFAULT_MAX_QUEUED_PER_ACTOR,
            RuntimeSettings.DEFAULT_IO_TIMEOUT,
            BACKUP_EVERY,
            RuntimeSettings.DEFAULT_UNLIST_AFTER);
    RuntimeBenchmark.Bench bench = new RuntimeBenchmark.Bench(dir, settings);
    RuntimeBenchmark.await(ref(bench, "large").ask(new TodoList.AddItem("first")));
    RuntimeBenchmark.await(ref(bench, "small").ask(new TodoList.AddItem("first")));
    bench.close();
    Path file = new ActorFiles(dir).databaseFile("todo-list", TodoList.key("large"));
    RuntimeBenchmark.log("filling " + file + " to " + megabytes + " MB");
    fill(file, megabytes);
    long fileBytes = Files.size(file);

    bench = new RuntimeBenchmark.Bench(dir, settings);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("suite", "runtime-large-actor");
    result.put("snapshotEvery", SNAPSHOT_EVERY);
    result.put("backupEvery", BACKUP_EVERY);
    result.put("largeFileMb", RuntimeBenchmark.round(fileBytes / (1024.0 * 1024.0)));
    try {
      RuntimeBenchmark.log("warming up");
      RuntimeBenchmark.closedLoop(bench.runtime, "warm", 4, 3);
      long heapBefore = RuntimeBenchmark.usedHeap();
      RuntimeBenchmark.log("small actor, one command in flight");
      RuntimeBenchmark.Level small = loop(bench, "small", seconds);
      long heapAfterSmall = RuntimeBenchmark.usedHeap();
      RuntimeBenchmark.log("large actor, one command in flight");
      RuntimeBenchmark.Level large = loop(bench, "large", seconds);
      long heapAfterLarge = RuntimeBenchmark.usedHeap();
      Path backup = new ActorFiles(dir).backupFile("todo-list", TodoList.key("large"));
      result.put("small", small.json());
      result.put("large", large.json());
      result.put("p99Ratio", RuntimeBenchmark.round(large.p99Ms() / small.p99Ms()));
      result.put("heapMbBefore", mb(heapBefore));
      result.put("heapMbAfterSmall", mb(heapAfterSmall));
      result.put("heapMbAfterLarge", mb(heapAfterLarge));
      result.put(
          "largeBackupMb",
          Files.exists(backup) ? RuntimeBenchmark.round(Files.size(backup) / 1048576.0) : 0);
    } finally {
      bench.close();
    }
    result.put("maxHeapMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    return result;
  }

  private static RuntimeBenchmark.Level loop(RuntimeBenchmark.Bench bench, String id, int seconds)
      throws Exception {
    DurableRef<TodoList.Command<?>> ref = ref(bench, id);
    return RuntimeBenchmark.measure(
        1, seconds, i -> ref.ask(new TodoList.AddItem("y".repeat(160))).thenApply(x -> null));
  }

  private static DurableRef<TodoList.Command<?>> ref(RuntimeBenchmark.Bench bench, String id) {
    return bench.runtime.getOrCreate(TodoList.KIND.type(), TodoList.key(id));
  }

  /** Rows of 64 KB in one transaction until the file holds {@code megabytes}. */
  private static void fill(Path file, int megabytes) throws Exception {
    String filler = "z".repeat(64 * 1024);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO items (text, added_by_command) VALUES (?, 'bench-fill')")) {
      s.execute("BEGIN");
      for (int i = 0; i < megabytes * 16; i++) {
        insert.setString(1, filler);
        insert.executeUpdate();
      }
      s.execute("COMMIT");
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
  }

  private static double mb(long bytes) {
    return RuntimeBenchmark.round(bytes / (1024.0 * 1024.0));
  }
}
