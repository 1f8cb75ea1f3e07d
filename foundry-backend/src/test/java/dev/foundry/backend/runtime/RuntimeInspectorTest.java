package dev.foundry.backend.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The inspector reads actor keys back from file names: the inverse of {@link ActorFiles}. */
class RuntimeInspectorTest {

  @Test
  void aFileNameDecodesToItsKeyAndTheKeyParsesBack() {
    for (ActorKey key :
        List.of(
            ActorKey.of("org", "personal-alice", "task", "t1"),
            ActorKey.of("org", "a/b", "x%y", "..", "ünï", "sp ace"),
            ActorKey.of("single"))) {
      String canonical = key.canonical();
      assertThat(RuntimeInspector.decode(ActorFiles.encode(canonical))).isEqualTo(canonical);
      assertThat(RuntimeInspector.parse(canonical)).isEqualTo(key);
    }
  }

  @Test
  void aHashedNameHasNoKey() {
    assertThat(RuntimeInspector.decode("org.2fabc~0123abcd")).isNull();
  }
}
