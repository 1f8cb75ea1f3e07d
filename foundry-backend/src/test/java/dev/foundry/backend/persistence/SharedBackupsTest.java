package dev.foundry.backend.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.testing.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Actor backups in the shared PostgreSQL store: chunked both ways, replaced whole, checked. */
class SharedBackupsTest {
  private static PostgresServer postgres;

  @TempDir Path dir;
  private String database;
  private PostgresJournal journal;
  private SharedBackups backups;

  @BeforeAll
  static void startPostgres() {
    postgres = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @BeforeEach
  void prepare() {
    database = postgres.createDatabase("backups");
    Map<String, Object> settings = new HashMap<>(postgres.config(database));
    settings.put("foundry.data-dir", dir.toString());
    Config config = FoundryConfig.load(Map.of(), ConfigFactory.parseMap(settings));
    journal = PostgresJournal.of(config);
    journal.prepare();
    backups = new SharedBackups(journal);
  }

  @AfterEach
  void close() {
    journal.close();
  }

  private Path randomFile(String name, int bytes, long seed) throws IOException {
    byte[] content = new byte[bytes];
    new Random(seed).nextBytes(content);
    return Files.write(dir.resolve(name), content);
  }

  private long chunkRows(String persistenceId) throws Exception {
    try (Connection c = postgres.connect(database);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM actor_backup_chunk WHERE persistence_id = '"
                    + persistenceId
                    + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void aFileOfSeveralChunksComesBackByteForByte() throws Exception {
    int size = SharedBackups.CHUNK_BYTES * 3 + 12_345; // four chunks, the last one short
    Path file = randomFile("a.db", size, 1);
    assertThat(backups.latestSeqNr("k|a")).isEqualTo(-1);
    assertThat(backups.fetch("k|a", dir.resolve("none.db"))).isEqualTo(-1);
    assertThat(dir.resolve("none.db")).doesNotExist();

    assertThat(backups.store("k|a", 42, file)).isEqualTo(42);
    assertThat(backups.latestSeqNr("k|a")).isEqualTo(42);
    assertThat(chunkRows("k|a")).isEqualTo(4);

    Path back = dir.resolve("restored/a.db");
    assertThat(backups.fetch("k|a", back)).isEqualTo(42);
    assertThat(Files.mismatch(file, back)).isEqualTo(-1);
  }

  @Test
  void aNewerBackupReplacesTheOldOneWholeAndAnOlderOneChangesNothing() throws Exception {
    Path first = randomFile("first.db", SharedBackups.CHUNK_BYTES * 2, 2);
    Path second = randomFile("second.db", 1000, 3);
    backups.store("k|b", 10, first);
    assertThat(backups.store("k|b", 20, second)).isEqualTo(20);
    assertThat(chunkRows("k|b")).as("the old chunks are gone").isEqualTo(1);
    // A late writer with an older copy (another node's, or a retry) does not go back in time.
    assertThat(backups.store("k|b", 15, first)).isEqualTo(20);

    Path back = dir.resolve("b.db");
    assertThat(backups.fetch("k|b", back)).isEqualTo(20);
    assertThat(Files.mismatch(second, back)).isEqualTo(-1);
  }

  @Test
  void aDamagedChunkIsRefusedAndTheTargetStaysAsItWas() throws Exception {
    Path file = randomFile("c.db", SharedBackups.CHUNK_BYTES + 10, 4);
    backups.store("k|c", 7, file);
    try (Connection c = postgres.connect(database);
        Statement s = c.createStatement()) {
      s.executeUpdate(
          "UPDATE actor_backup_chunk SET data = set_byte(data, 4, get_byte(data, 4) # 255)"
              + " WHERE persistence_id = 'k|c' AND chunk_no = 1");
    }
    Path target = Files.writeString(dir.resolve("target.db"), "the previous backup");

    assertThatThrownBy(() -> backups.fetch("k|c", target))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("k|c")
        .hasMessageContaining("differs from what was stored");
    assertThat(Files.readString(target)).isEqualTo("the previous backup");
    try (var leftovers = Files.list(dir)) {
      assertThat(leftovers.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.contains(".fetch-"));
    }
  }
}
