package dev.foundry.backend.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ActorFilesTest {
  private final Path data = Path.of("/srv/foundry/data");
  private final ActorFiles files = new ActorFiles(data);

  @Test
  void everyKeyStaysInsideItsKindsFolder() {
    for (String evil :
        List.of("..", ".", "../../etc/passwd", "/abs", "a/../../b", "\\..\\x", "\0nul", "")) {
      Path p = files.databaseFile("task", ActorKey.of("org", evil));
      assertThat(p.normalize()).isEqualTo(p);
      assertThat(p.startsWith(data.resolve("actors").resolve("task"))).isTrue();
      assertThat(p.getFileName().toString())
          .endsWith(".db")
          .doesNotContain("/")
          .doesNotStartWith(".");
    }
  }

  @Test
  void differentKeysNeverShareAFile() {
    List<ActorKey> keys =
        List.of(
            ActorKey.of("a/b"),
            ActorKey.of("a", "b"),
            ActorKey.of("a%2Fb"),
            ActorKey.of("a.2fb"),
            ActorKey.of("A", "b"),
            ActorKey.of("a", "b", ""),
            ActorKey.of("ä"),
            ActorKey.of("a b"),
            ActorKey.of("x".repeat(500)),
            ActorKey.of("x".repeat(499) + "y"));
    Set<Path> paths = new HashSet<>();
    for (ActorKey key : keys) {
      assertThat(paths.add(files.databaseFile("task", key))).as("unique file for %s", key).isTrue();
    }
  }

  @Test
  void longKeysGetABoundedFileName() {
    Path p = files.databaseFile("task", ActorKey.of("k".repeat(10_000)));
    assertThat(p.getFileName().toString().length()).isLessThan(255);
  }

  @Test
  void kindNamesAreValidated() {
    assertThatThrownBy(() -> files.databaseFile("../x", ActorKey.of("a")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> files.databaseFile("Task", ActorKey.of("a")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
