package dev.foundry.backend.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.runtime.ActorMessage.Accepted;
import dev.foundry.backend.runtime.ActorMessage.Failed;
import dev.foundry.backend.runtime.ActorMessage.Reply;
import dev.foundry.backend.runtime.ActorMessage.Submit;
import dev.foundry.backend.runtime.ActorMessage.Succeeded;
import dev.foundry.backend.runtime.json.JsonTypes;
import dev.foundry.backend.runtime.todo.TodoList;
import dev.foundry.backend.runtime.todo.TodoTables;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What crosses nodes in cluster mode arrives as it left: commands with their persisted type names,
 * queries and answers with their classes (records, lists, maps, JDK values, a completed stage), and
 * each runtime failure as the same exception class with its code and message, so callers on another
 * node handle them exactly as local ones.
 */
class RemoteMessageSerializerTest {
  private static ActorTestKit kit;
  private static RemoteMessageSerializer serializer;
  private static ActorRef<Reply> replyTo;

  /** A value shaped like the protocols' answers: nested records, optional, time, list, map. */
  record Summary(
      com.fasterxml.jackson.databind.JsonNode payload,
      String id,
      Optional<String> owner,
      Instant at,
      List<TodoTables.Item> items,
      Map<String, Long> counts) {}

  @BeforeAll
  static void start() {
    // The backend's own configuration, whose serialization bindings are part of what is tested.
    kit = ActorTestKit.create(FoundryConfig.load(Map.of(), ConfigFactory.empty()));
    JsonTypes.get(kit.system()).register(TodoList.Command.class);
    serializer = new RemoteMessageSerializer((ExtendedActorSystem) Adapter.toClassic(kit.system()));
    replyTo = kit.<Reply>createTestProbe().getRef();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Object trip(Object message) throws Exception {
    return serializer.fromBinary(serializer.toBinary(message), serializer.manifest(message));
  }

  @Test
  void theConfigurationBindsActorMessagesAndRepliesToIt() {
    var serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    assertThat(serialization.findSerializerFor(ActorMessage.Wake.INSTANCE).identifier())
        .isEqualTo(RemoteMessageSerializer.IDENTIFIER);
    assertThat(serialization.findSerializerFor(new Accepted("c")).identifier())
        .isEqualTo(RemoteMessageSerializer.IDENTIFIER);
  }

  @Test
  void aCommandKeepsItsTypeIdsTimeoutAndReplyAddress() throws Exception {
    Submit submit =
        new Submit(
            "cmd-1", new TodoList.AddItem("milk"), true, false, Duration.ofMillis(1500), replyTo);
    assertThat(trip(submit)).isEqualTo(submit);
  }

  @Test
  void queriesAndTheirAnswersKeepTheirClasses() throws Exception {
    ActorMessage.Query query = new ActorMessage.Query(new TodoList.ListItems(), true, replyTo);
    assertThat(trip(query)).isEqualTo(query);

    List<TodoTables.Item> items =
        new ArrayList<>(List.of(new TodoTables.Item(1, "milk", false, "c1")));
    Summary summary =
        new Summary(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"content\":{\"text\":\"hi\"},\"n\":[1,2]}"),
            "s",
            Optional.of("alice"),
            Instant.ofEpochMilli(1_700_000_000_123L),
            List.of(new TodoTables.Item(2, "eggs", true, "c2")),
            Map.of("open", 3L));
    for (Object value : new Object[] {items, List.of(), summary, 42L, true, "text", null}) {
      Succeeded reply = new Succeeded("c", value);
      assertThat(trip(reply)).as("%s", value).isEqualTo(reply);
    }
  }

  @Test
  void aCompletedStageArrivesCompletedWithItsOutcome() throws Exception {
    Succeeded done = new Succeeded(null, CompletableFuture.completedFuture(List.of(7L)));
    Object value = ((Succeeded) trip(done)).value();
    assertThat(((CompletionStage<?>) value).toCompletableFuture().join()).isEqualTo(List.of(7L));

    Succeeded failed =
        new Succeeded(null, CompletableFuture.failedFuture(new IllegalStateException("gone")));
    CompletionStage<?> stage = (CompletionStage<?>) ((Succeeded) trip(failed)).value();
    assertThatThrownBy(() -> stage.toCompletableFuture().join())
        .isInstanceOf(CompletionException.class)
        .hasRootCauseMessage("gone");

    Succeeded pending = new Succeeded(null, new CompletableFuture<>());
    assertThatThrownBy(() -> serializer.toBinary(pending))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyRuntimeFailureArrivesAsTheSameClassCodeAndMessage() throws Exception {
    List<ActorException> errors =
        List.of(
            new ActorNotFoundException("task", ActorKey.of("org", "a/b")),
            new ActorOverloadedException("task x", 64),
            new CommandRejectedException("c1", "invalid_title", "a title is required"),
            new CommandFailedException("c2", "io_failed", "clone failed"),
            new CommandTimeoutException("c3", Duration.ofSeconds(30)),
            new IoTimeoutException(Duration.ofSeconds(5)),
            new StorageUnavailableException("disk full"),
            new ActorDivergedException("task x", 10, 8));
    for (ActorException error : errors) {
      Failed back = (Failed) trip(new Failed("c", error));
      assertThat(back.commandId()).isEqualTo("c");
      assertThat(back.error())
          .as("%s", error)
          .isExactlyInstanceOf(error.getClass())
          .hasMessage(error.getMessage());
      assertThat(back.error().code()).isEqualTo(error.code());
    }
    Failed rejected = (Failed) trip(new Failed("c", new CommandRejectedException("c1", "x", "y")));
    assertThat(((CommandRejectedException) rejected.error()).commandId()).isEqualTo("c1");
  }

  @Test
  void controlMessagesAndRelayedPublicationsCross() throws Exception {
    assertThat(trip(ActorMessage.Wake.INSTANCE)).isSameAs(ActorMessage.Wake.INSTANCE);
    assertThat(trip(ActorMessage.Activate.INSTANCE)).isSameAs(ActorMessage.Activate.INSTANCE);
    assertThat(trip(new Accepted("c9"))).isEqualTo(new Accepted("c9"));
    RealtimeRelay.Relayed relayed =
        new RealtimeRelay.Relayed("node", "task", "o/t", "taskUpdated", "{\"a\":1}", null);
    assertThat(trip(relayed)).isEqualTo(relayed);
    ActorMessage.Inspect inspect = new ActorMessage.Inspect(20, replyTo);
    assertThat(trip(inspect)).isEqualTo(inspect);
  }

  @Test
  void messagesAnInstanceSendsItselfNeverCross() {
    assertThatThrownBy(() -> serializer.manifest(ActorMessage.Drain.INSTANCE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> serializer.toBinary(ActorMessage.Stop.INSTANCE))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
