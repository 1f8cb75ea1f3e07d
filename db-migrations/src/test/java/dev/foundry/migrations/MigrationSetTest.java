package dev.foundry.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The migrations the product ships: complete, in order, and never edited once released. */
class MigrationSetTest {
  private static final String ROOT = "db/migrations/";

  @Test
  void everyShippedKindLoadsWithVersionsInIndexOrder() throws Exception {
    for (String kind : shippedKinds()) {
      MigrationSet set = MigrationSet.load(kind);
      List<String> index = indexOf(kind);

      assertThat(set.kind()).isEqualTo(kind);
      assertThat(set.latestVersion()).isEqualTo(index.size());
      for (int i = 0; i < index.size(); i++) {
        MigrationSet.Migration migration = set.migrations().get(i);
        assertThat(migration.version()).isEqualTo(i + 1);
        assertThat(migration.name()).isEqualTo(index.get(i));
        assertThat(migration.statements()).as(kind + "/" + migration.name()).isNotEmpty();
      }
    }
  }

  @Test
  void everyMigrationFileIsListedInItsIndexInNameOrder() throws Exception {
    for (String kind : shippedKinds()) {
      List<String> files;
      try (Stream<Path> list = Files.list(resourceDir(ROOT + kind))) {
        files =
            list.map(p -> p.getFileName().toString())
                .filter(n -> n.endsWith(".sql"))
                .sorted()
                .toList();
      }
      assertThat(indexOf(kind))
          .as("a migration file missing from %s/index never runs", kind)
          .containsExactlyElementsOf(files);
    }
  }

  @Test
  void releasedMigrationsAreNeverEditedNorReordered() throws Exception {
    Map<String, String> released = releasedChecksums();
    assertThat(released).isNotEmpty();
    Map<String, List<String>> releasedByKind = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : released.entrySet()) {
      String path = entry.getKey();
      String kind = path.substring(0, path.indexOf('/'));
      releasedByKind
          .computeIfAbsent(kind, k -> new ArrayList<>())
          .add(path.substring(kind.length() + 1));
      assertThat(sha256(read(ROOT + path)))
          .as("%s was released: add a new migration instead of editing it", path)
          .isEqualTo(entry.getValue());
    }
    for (Map.Entry<String, List<String>> entry : releasedByKind.entrySet()) {
      List<String> index = indexOf(entry.getKey());
      assertThat(index.subList(0, Math.min(index.size(), entry.getValue().size())))
          .as(
              "released migrations of %s keep their versions: new ones go at the end",
              entry.getKey())
          .containsExactlyElementsOf(entry.getValue());
    }
  }

  @Test
  void aKindWithoutAnIndexOrWithAMissingFileIsRefusedByName() {
    assertThatThrownBy(() -> MigrationSet.load("no-such-kind"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no migrations for kind 'no-such-kind'");
    assertThatThrownBy(() -> MigrationSet.load("../task"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid migration kind");
    assertThatThrownBy(() -> MigrationSet.load("test-missing-file"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("db/migrations/test-missing-file/002-absent.sql not found");
  }

  private static List<String> shippedKinds() throws Exception {
    try (Stream<Path> list = Files.list(resourceDir(ROOT))) {
      // Test kinds (test-*) come from src/test/resources; the shipped ones from the module's jar.
      List<String> kinds =
          list.filter(Files::isDirectory)
              .map(p -> p.getFileName().toString())
              .filter(n -> !n.startsWith("test-"))
              .sorted()
              .toList();
      assertThat(kinds).contains("organization", "task", "user", "sandbox", "audit-log", "journal");
      return kinds;
    }
  }

  /** The main resources directory (not the test one, which also has a db/migrations folder). */
  private static Path resourceDir(String path) throws URISyntaxException {
    URL url = MigrationSet.class.getClassLoader().getResource(ROOT + "task/index");
    Path root = Path.of(url.toURI()).getParent().getParent();
    return root.resolve(path.substring(ROOT.length()));
  }

  private static List<String> indexOf(String kind) throws IOException {
    return read(ROOT + kind + "/index")
        .lines()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  private static Map<String, String> releasedChecksums() throws IOException {
    Map<String, String> released = new LinkedHashMap<>();
    for (String line : read("released-migrations.sha256").lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      released.put(parts[1].strip(), parts[0]);
    }
    return released;
  }

  private static String read(String resource) throws IOException {
    try (InputStream in = MigrationSet.class.getClassLoader().getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String sha256(String text) throws NoSuchAlgorithmException {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
