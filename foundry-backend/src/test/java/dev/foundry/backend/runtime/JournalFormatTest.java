package dev.foundry.backend.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.json.FoundryJsonSerializer;
import dev.foundry.backend.runtime.json.JsonTypes;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What lands in the journal is named by stable type names, never Java class names: a journal
 * written before a class was renamed still reads.
 */
class JournalFormatTest {
  /** The event as a newer release calls it; older releases called the class {@code NoteAdded}. */
  @JsonTypeName("notes.note-added")
  record NoteAppended(String text) implements Note {}

  sealed interface Note extends DurableEvent permits NoteAppended {}

  @JsonTypeName("notes.add-note")
  record AddNote(String text) implements NoteCommand {}

  sealed interface NoteCommand extends DurableCommand<Void> permits AddNote {}

  private final ActorSystem<Void> system =
      ActorSystem.create(
          Behaviors.empty(),
          "json",
          dev.foundry.backend.config.FoundryConfig.load(
              java.util.Map.of(), com.typesafe.config.ConfigFactory.empty()));

  @AfterEach
  void stop() {
    system.terminate();
  }

  @Test
  void aJournalWrittenBeforeAClassRenameStillReads() throws Exception {
    JsonTypes.get(system).register(Note.class);
    JsonTypes.get(system).register(NoteCommand.class);
    FoundryJsonSerializer serializer =
        new FoundryJsonSerializer((ExtendedActorSystem) Adapter.toClassic(system));
    // Bytes as an older release wrote them (its Java class was named NoteAdded).
    byte[] old =
        ("{\"commandId\":\"c-1\",\"events\":[{\"@type\":\"notes.note-added\",\"text\":\"hi\"}],"
                + "\"error\":null,\"at\":1700000000000,\"droppedField\":7}")
            .getBytes(StandardCharsets.UTF_8);
    Object read = serializer.fromBinary(old, "runtime.command-completed");
    assertThat(read)
        .isEqualTo(
            new RuntimeEvent.CommandCompleted(
                "c-1", List.of(new NoteAppended("hi")), null, 1700000000000L));
  }

  @Test
  void persistedBytesCarryTypeNamesAndNoJavaClassNames() throws Exception {
    JsonTypes.get(system).register(Note.class);
    JsonTypes.get(system).register(NoteCommand.class);
    var serialization = SerializationExtension.get(Adapter.toClassic(system));
    RuntimeEvent.CommandExecuted event =
        new RuntimeEvent.CommandExecuted(
            "c-2", new AddNote("x"), List.of(new NoteAppended("x")), null, 1L);
    var serializer = serialization.findSerializerFor(event);
    assertThat(serializer.identifier()).isEqualTo(FoundryJsonSerializer.IDENTIFIER);
    String json = new String(serializer.toBinary(event), StandardCharsets.UTF_8);
    assertThat(json).contains("\"notes.add-note\"").contains("\"notes.note-added\"");
    assertThat(json)
        .doesNotContain("dev.foundry")
        .doesNotContain("NoteAppended")
        .doesNotContain("AddNote");
    Object back =
        serialization
            .deserialize(
                serializer.toBinary(event), serializer.identifier(), "runtime.command-executed")
            .get();
    assertThat(back).isEqualTo(event);
  }
}
