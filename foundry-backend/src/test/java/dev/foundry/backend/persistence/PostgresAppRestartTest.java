package dev.foundry.backend.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.testing.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real backend ({@code FoundryApp}, over HTTP on loopback) with {@code FOUNDRY_JOURNAL_URL} on
 * a real PostgreSQL: its tasks and sessions survive a restart, and also the loss of the whole data
 * directory, rebuilt from the journal and the backups in the database.
 */
class PostgresAppRestartTest {
  private static PostgresServer postgres;

  @TempDir Path dir;

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

  private static String tasksOf(String org) {
    return "/v1/organizations/" + org + "/tasks";
  }

  private static List<String> taskTitles(Browser browser, String org) {
    Answer list = browser.get(tasksOf(org));
    assertThat(list.status()).as(list.toString()).isEqualTo(200);
    List<String> titles = new ArrayList<>();
    for (JsonNode task : list.json()) {
      titles.add(task.path("title").asText());
    }
    return titles.stream().sorted().toList();
  }

  @Test
  void tasksAndSessionsSurviveARestartAndTheLossOfTheDataDirectory() throws Exception {
    String database = postgres.createDatabase("app");
    Map<String, String> env = new HashMap<>(postgres.environment(database));
    // Snapshots and backups early, so the restore below also runs through the shared backups.
    env.put("FOUNDRY_SNAPSHOT_EVERY", "10");
    env.put("FOUNDRY_BACKUP_EVERY", "10");
    String cookie;
    String org;
    List<String> titles = new ArrayList<>();
    try (ApiServer first = ApiServer.start(dir, env)) {
      Browser alice = first.browser();
      Answer signIn = alice.signIn("alice-pg");
      assertThat(signIn.status()).as(signIn.toString()).isEqualTo(200);
      org = signIn.json().path("activeOrganizationId").asText();
      Answer repo =
          alice.post(
              "/v1/organizations/" + org + "/repos",
              "{\"remoteUrl\":\"" + first.bareRepository("app") + "\"}");
      assertThat(repo.status()).as(repo.toString()).isEqualTo(201);
      String repoId = repo.json().path("repoId").asText();
      for (int i = 0; i < 6; i++) {
        String title = "Task " + i;
        Answer created =
            alice.post(tasksOf(org), "{\"repoId\":\"" + repoId + "\",\"task\":\"" + title + "\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        titles.add(created.json().path("title").asText());
      }
      assertThat(taskTitles(alice, org)).hasSize(6);
      cookie = alice.cookie();
    }
    Path data = dir.resolve("data");
    assertThat(data.resolve("journal/journal.db")).as("no SQLite journal").doesNotExist();
    assertThat(count(database, "SELECT count(*) FROM event_journal")).isPositive();

    try (ApiServer second = ApiServer.start(dir, env)) {
      Browser alice = second.browser().withCookie(cookie);
      assertThat(taskTitles(alice, org))
          .containsExactlyElementsOf(titles.stream().sorted().toList());
    }

    assertThat(count(database, "SELECT count(*) FROM actor_backup"))
        .as("some actor files were backed up to the database")
        .isPositive();
    deleteTree(data);
    try (ApiServer third = ApiServer.start(dir, env)) {
      // The same session cookie: the session lives in an actor rebuilt from the database.
      Browser alice = third.browser().withCookie(cookie);
      assertThat(taskTitles(alice, org))
          .containsExactlyElementsOf(titles.stream().sorted().toList());
      Answer session = alice.get("/v1/auth/session");
      assertThat(session.status()).as(session.toString()).isEqualTo(200);
      assertThat(session.json().path("activeOrganizationId").asText()).isEqualTo(org);
    }
  }

  private static long count(String database, String sql) throws Exception {
    try (Connection c = postgres.connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file); // a closing database may remove its -wal meanwhile
      }
    }
  }
}
