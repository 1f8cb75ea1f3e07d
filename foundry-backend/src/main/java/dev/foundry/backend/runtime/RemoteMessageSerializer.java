package dev.foundry.backend.runtime;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.foundry.backend.runtime.ActorMessage.Accepted;
import dev.foundry.backend.runtime.ActorMessage.DiscardFailure;
import dev.foundry.backend.runtime.ActorMessage.Failed;
import dev.foundry.backend.runtime.ActorMessage.Inspect;
import dev.foundry.backend.runtime.ActorMessage.InspectFailures;
import dev.foundry.backend.runtime.ActorMessage.Query;
import dev.foundry.backend.runtime.ActorMessage.Submit;
import dev.foundry.backend.runtime.ActorMessage.Succeeded;
import dev.foundry.backend.runtime.json.JsonTypes;
import java.io.IOException;
import java.io.NotSerializableException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Writes what crosses nodes in cluster mode as JSON: the messages to an actor instance ({@link
 * ActorMessage}), the replies to callers, and relayed realtime publications. Bound in {@code
 * runtime.conf}; on a single node nothing is ever serialized by it.
 *
 * <p>Commands keep their persisted type names (the journal's {@link JsonTypes}). Queries and the
 * values they and commands answer are whatever records the protocols declare, so they travel with
 * their class name, accepted only for our own packages and the JDK's value types. A failure travels
 * as its code and message and is restored as the same {@link ActorException} class, so a caller on
 * another node tells a missing actor from a rejected command exactly as locally.
 */
public final class RemoteMessageSerializer extends SerializerWithStringManifest {
  /** Never persisted, but every node of a cluster must agree on it. */
  public static final int IDENTIFIER = 7742;

  private static final String SUBMIT = "submit";
  private static final String QUERY = "query";
  private static final String INSPECT_FAILURES = "inspect-failures";
  private static final String INSPECT = "inspect";
  private static final String DISCARD_FAILURE = "discard-failure";
  private static final String WAKE = "wake";
  private static final String ACTIVATE = "activate";
  private static final String ACCEPTED = "accepted";
  private static final String SUCCEEDED = "succeeded";
  private static final String FAILED = "failed";
  private static final String RELAYED = "relayed-publication";

  private final ExtendedActorSystem system;

  /** Values and queries with their class names: for our types and the JDK's value types only. */
  private final ObjectMapper values =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .addModule(new Jdk8Module())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .activateDefaultTyping(
              BasicPolymorphicTypeValidator.builder()
                  .allowIfSubType("dev.foundry.")
                  .allowIfSubType("java.util.")
                  .allowIfSubType("java.lang.")
                  .allowIfSubType("java.time.")
                  .allowIfSubType("java.math.")
                  // Payloads some protocols carry as JSON trees (agent events).
                  .allowIfSubType("com.fasterxml.jackson.databind.node.")
                  .build(),
              ObjectMapper.DefaultTyping.NON_FINAL,
              JsonTypeInfo.As.PROPERTY)
          .build();

  private final ObjectMapper plain = new ObjectMapper();
  private volatile JsonTypes types;
  private volatile ActorRefResolver resolver;

  public RemoteMessageSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  private JsonTypes types() {
    JsonTypes t = types;
    if (t == null) {
      t = JsonTypes.get(system);
      types = t;
    }
    return t;
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Submit) {
      return SUBMIT;
    } else if (o instanceof Query) {
      return QUERY;
    } else if (o instanceof InspectFailures) {
      return INSPECT_FAILURES;
    } else if (o instanceof Inspect) {
      return INSPECT;
    } else if (o instanceof DiscardFailure) {
      return DISCARD_FAILURE;
    } else if (o == ActorMessage.Wake.INSTANCE) {
      return WAKE;
    } else if (o == ActorMessage.Activate.INSTANCE) {
      return ACTIVATE;
    } else if (o instanceof Accepted) {
      return ACCEPTED;
    } else if (o instanceof Succeeded) {
      return SUCCEEDED;
    } else if (o instanceof Failed) {
      return FAILED;
    } else if (o instanceof RealtimeRelay.Relayed) {
      return RELAYED;
    }
    // Stop, Drain, IoFinished and the other messages an instance sends itself never leave it.
    throw new IllegalArgumentException(o.getClass().getName() + " does not cross nodes");
  }

  @Override
  public byte[] toBinary(Object o) {
    ObjectNode json = plain.createObjectNode();
    try {
      if (o instanceof Submit s) {
        json.put("commandId", s.commandId());
        json.put("commandType", types().nameOf(s.command().getClass()));
        json.set("command", types().mapper().valueToTree(s.command()));
        json.put("awaitResult", s.awaitResult());
        json.put("create", s.create());
        json.put("timeoutMs", s.timeout().toMillis());
        json.put("replyTo", ref(s.replyTo()));
      } else if (o instanceof Query q) {
        json.put("query", values.writerFor(Object.class).writeValueAsString(q.query()));
        json.put("create", q.create());
        json.put("replyTo", ref(q.replyTo()));
      } else if (o instanceof InspectFailures i) {
        json.put("replyTo", ref(i.replyTo()));
      } else if (o instanceof Inspect i) {
        json.put("rowLimit", i.rowLimit());
        json.put("replyTo", ref(i.replyTo()));
      } else if (o instanceof DiscardFailure d) {
        json.put("commandId", d.commandId());
        json.put("replyTo", ref(d.replyTo()));
      } else if (o instanceof Accepted a) {
        json.put("commandId", a.commandId());
      } else if (o instanceof Succeeded s) {
        json.put("commandId", s.commandId());
        writeValue(json, s.value());
      } else if (o instanceof Failed f) {
        json.put("commandId", f.commandId());
        json.put("errorType", f.error().getClass().getSimpleName());
        json.put("code", f.error().code());
        json.put("message", f.error().getMessage());
        json.put("errorCommandId", errorCommandId(f.error()));
      } else if (o instanceof RealtimeRelay.Relayed r) {
        return plain.writeValueAsBytes(r);
      } else if (o != ActorMessage.Wake.INSTANCE && o != ActorMessage.Activate.INSTANCE) {
        throw new IllegalArgumentException(o.getClass().getName() + " does not cross nodes");
      }
      return plain.writeValueAsBytes(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName(), e);
    }
  }

  /**
   * A query may answer a stage (a sandbox's processes): {@code ActorQueries} replies only once it
   * completed, so it travels as its outcome and arrives as a completed stage again.
   */
  private void writeValue(ObjectNode json, Object value) throws IOException {
    if (value instanceof CompletionStage<?> stage) {
      CompletableFuture<?> future = stage.toCompletableFuture();
      if (!future.isDone()) {
        throw new IllegalArgumentException("a stage that has not completed cannot cross nodes");
      }
      json.put("stage", true);
      try {
        value = future.join();
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        json.put("stageFailure", String.valueOf(cause.getMessage()));
        return;
      }
    }
    json.put("value", values.writerFor(Object.class).writeValueAsString(value));
  }

  private Object readValue(JsonNode json) throws IOException {
    if (json.path("stage").asBoolean(false)) {
      if (json.has("stageFailure")) {
        return CompletableFuture.failedFuture(
            new IllegalStateException(json.path("stageFailure").asText()));
      }
      return CompletableFuture.completedFuture(
          values.readValue(json.path("value").asText(), Object.class));
    }
    return values.readValue(json.path("value").asText(), Object.class);
  }

  private static String errorCommandId(ActorException error) {
    if (error instanceof CommandRejectedException r) {
      return r.commandId();
    } else if (error instanceof CommandFailedException f) {
      return f.commandId();
    } else if (error instanceof CommandTimeoutException t) {
      return t.commandId();
    }
    return null;
  }

  private static ActorException restore(JsonNode json) {
    String code = json.path("code").asText();
    String message = json.path("message").asText();
    String commandId = text(json, "errorCommandId");
    return switch (json.path("errorType").asText()) {
      case "CommandRejectedException" -> new CommandRejectedException(commandId, code, message);
      case "ActorNotFoundException" -> ActorNotFoundException.restored(message);
      case "ActorOverloadedException" -> ActorOverloadedException.restored(message);
      case "CommandTimeoutException" -> CommandTimeoutException.restored(commandId, message);
      case "IoTimeoutException" -> IoTimeoutException.restored(message);
      case "StorageUnavailableException" -> StorageUnavailableException.restored(message);
      case "ActorDivergedException" -> ActorDivergedException.restored(message);
      default -> new CommandFailedException(commandId, code, message);
    };
  }

  private String ref(ActorRef<?> ref) {
    return resolver().toSerializationFormat(ref);
  }

  private <T> ActorRef<T> replyTo(JsonNode json) {
    return resolver().resolveActorRef(json.path("replyTo").asText());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      if (RELAYED.equals(manifest)) {
        return plain.readValue(bytes, RealtimeRelay.Relayed.class);
      }
      JsonNode json = plain.readTree(bytes);
      return switch (manifest) {
        case SUBMIT -> {
          Class<?> type = types().classOf(json.path("commandType").asText());
          DurableCommand<?> command =
              (DurableCommand<?>) types().mapper().treeToValue(json.path("command"), type);
          yield new Submit(
              json.path("commandId").asText(),
              command,
              json.path("awaitResult").asBoolean(),
              json.path("create").asBoolean(),
              Duration.ofMillis(json.path("timeoutMs").asLong()),
              replyTo(json));
        }
        case QUERY ->
            new Query(
                (ActorQuery<?>) values.readValue(json.path("query").asText(), Object.class),
                json.path("create").asBoolean(),
                replyTo(json));
        case INSPECT_FAILURES -> new InspectFailures(replyTo(json));
        case INSPECT -> new Inspect(json.path("rowLimit").asInt(), replyTo(json));
        case DISCARD_FAILURE -> new DiscardFailure(json.path("commandId").asText(), replyTo(json));
        case WAKE -> ActorMessage.Wake.INSTANCE;
        case ACTIVATE -> ActorMessage.Activate.INSTANCE;
        case ACCEPTED -> new Accepted(json.path("commandId").asText());
        case SUCCEEDED -> new Succeeded(text(json, "commandId"), readValue(json));
        case FAILED -> new Failed(text(json, "commandId"), restore(json));
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "'");
      };
    } catch (IOException | IllegalArgumentException | ClassCastException e) {
      if (e instanceof NotSerializableException n) {
        throw n;
      }
      NotSerializableException failure =
          new NotSerializableException("cannot read '" + manifest + "': " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  private static String text(JsonNode json, String field) {
    JsonNode node = json.path(field);
    return node.isNull() || node.isMissingNode() ? null : node.asText();
  }
}
