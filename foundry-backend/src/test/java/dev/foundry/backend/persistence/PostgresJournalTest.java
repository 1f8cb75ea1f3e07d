package dev.foundry.backend.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.testing.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on a real PostgreSQL: the configuration that chooses it, the migration set applied at
 * start (once, also when several nodes start together), and Pekko's journal and snapshot-store TCKs
 * against pekko-persistence-jdbc's PostgreSQL profile on that schema.
 */
class PostgresJournalTest {
  private static PostgresServer postgres;

  @TempDir Path dataDir;

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

  private Config config(Map<String, Object> settings) {
    Map<String, Object> all = new HashMap<>(settings);
    all.put("foundry.data-dir", dataDir.toString());
    all.put("pekko.loglevel", "WARNING");
    return FoundryConfig.load(Map.of(), ConfigFactory.parseMap(all));
  }

  private Config prepared(String database) {
    Config config = config(postgres.config(database));
    JournalDatabase.prepareConfigured(config);
    return config;
  }

  @Test
  void aPostgresUrlReplacesThePluginsDatabaseAndWithoutItTheSqliteFileStays() {
    Config sqlite = config(Map.of());
    assertThat(sqlite.getString("pekko-persistence-jdbc.shared-databases.foundry.profile"))
        .isEqualTo("slick.jdbc.SQLiteProfile$");
    assertThat(sqlite.getString("pekko-persistence-jdbc.shared-databases.foundry.db.url"))
        .isEqualTo("jdbc:sqlite:" + dataDir.resolve("journal/journal.db"));
    assertThat(PostgresJournal.configured(sqlite)).isFalse();

    Config pg = config(postgres.config("somedb"));
    Config db = pg.getConfig("pekko-persistence-jdbc.shared-databases.foundry");
    assertThat(PostgresJournal.configured(pg)).isTrue();
    assertThat(db.getString("profile")).isEqualTo("slick.jdbc.PostgresProfile$");
    assertThat(db.getString("db.url")).isEqualTo(postgres.url("somedb"));
    assertThat(db.getString("db.driver")).isEqualTo("org.postgresql.Driver");
    assertThat(db.getString("db.user")).isEqualTo(PostgresServer.USER);
    assertThat(db.getString("db.password")).isEqualTo(postgres.password());
    assertThat(db.hasPath("db.properties.journal_mode")).as("no SQLite pragma left").isFalse();
    // The plugin's three parts share it, and keep the group-commit settings.
    assertThat(pg.getString("jdbc-journal.use-shared-db")).isEqualTo("foundry");
    assertThat(pg.getString("jdbc-snapshot-store.use-shared-db")).isEqualTo("foundry");
    assertThat(pg.getString("jdbc-read-journal.use-shared-db")).isEqualTo("foundry");
  }

  @Test
  void theSchemaIsAppliedOnceWhenSeveralNodesStartAtOnce() throws Exception {
    String database = postgres.createDatabase("concurrent");
    Config config = config(postgres.config(database));
    int nodes = 4;
    CyclicBarrier together = new CyclicBarrier(nodes);
    ExecutorService pool = Executors.newFixedThreadPool(nodes);
    try {
      List<CompletableFuture<PostgresJournal.Prepared>> starts = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        starts.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    together.await();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  return PostgresJournal.of(config).prepare();
                },
                pool));
      }
      List<PostgresJournal.Prepared> results =
          starts.stream().map(CompletableFuture::join).toList();
      assertThat(results).extracting(PostgresJournal.Prepared::toVersion).containsOnly(3);
      assertThat(results)
          .as("exactly one node migrated; the others found the schema up to date")
          .filteredOn(r -> r.fromVersion() == 0)
          .hasSize(1);
    } finally {
      pool.shutdownNow();
    }
    try (Connection c = postgres.connect(database);
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT table_name FROM information_schema.tables"
                  + " WHERE table_schema = 'public' ORDER BY table_name")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      assertThat(tables)
          .containsExactly(
              "actor_backup",
              "actor_backup_chunk",
              "event_journal",
              "event_tag",
              "foundry_schema_version",
              "pending_work",
              "snapshot");
    }
    // Once more on the migrated database: nothing to do.
    assertThat(PostgresJournal.of(config).prepare().fromVersion()).isEqualTo(3);
  }

  @Test
  void aSchemaOfANewerReleaseIsRefused() throws Exception {
    String database = postgres.createDatabase("newer");
    prepared(database);
    try (Connection c = postgres.connect(database);
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE foundry_schema_version SET version = 99");
    }
    assertThatThrownBy(() -> prepared(database))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(postgres.url(database))
        .hasMessageContaining("newer than this build knows");
  }

  @Test
  void anUnreachableDatabaseFailsNamingItWithoutThePasswordInItsUrl() {
    Config config =
        config(
            Map.of(
                "foundry.persistence.journal-url",
                "jdbc:postgresql://127.0.0.1:1/nowhere?user=x&password=secret-in-url"));
    assertThatThrownBy(() -> JournalDatabase.prepareConfigured(config))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jdbc:postgresql://127.0.0.1:1/nowhere")
        .hasMessageNotContaining("secret-in-url");
  }

  @TestFactory
  List<DynamicTest> journalTck() {
    Config config = prepared(postgres.createDatabase("journal_tck"));
    return ScalaTestSuites.asDynamicTests(
        ScalaTestSuites.run(new SqliteJournalTckTest.SqliteJournalSpec(config)));
  }

  @TestFactory
  List<DynamicTest> snapshotStoreTck() {
    Config config = prepared(postgres.createDatabase("snapshot_tck"));
    return ScalaTestSuites.asDynamicTests(
        ScalaTestSuites.run(new SqliteSnapshotStoreTckTest.SqliteSnapshotStoreSpec(config)));
  }
}
