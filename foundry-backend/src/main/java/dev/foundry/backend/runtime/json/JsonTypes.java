package dev.foundry.backend.runtime.json;

import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.foundry.backend.runtime.ActorSnapshot;
import dev.foundry.backend.runtime.RuntimeEvent;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The registry of persisted type names of one actor system and the mapper that uses it. Actor kinds
 * register their sealed command and event interfaces when the runtime starts, before any actor
 * recovers.
 */
public final class JsonTypes implements Extension {
  private final ObjectMapper mapper;
  private final Map<String, Class<?>> byName = new ConcurrentHashMap<>();
  private final Map<Class<?>, String> byClass = new ConcurrentHashMap<>();

  JsonTypes() {
    this.mapper =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .addModule(new Jdk8Module())
            // An older journal may hold a field a newer class dropped: ignore it, don't fail.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();
    register(RuntimeEvent.class);
    register(ActorSnapshot.class);
    register(dev.foundry.backend.runtime.Outbound.class);
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  /**
   * Registers {@code root} and, for a sealed interface, every class it permits (recursively). Each
   * concrete class must carry a {@code @JsonTypeName}; a name used by two classes is refused.
   */
  public void register(Class<?> root) {
    if (root.isSealed()) {
      for (Class<?> sub : root.getPermittedSubclasses()) {
        register(sub);
      }
      if (root.isInterface() || Modifier.isAbstract(root.getModifiers())) {
        return;
      }
    } else if (root.isInterface()) {
      throw new IllegalArgumentException(
          root.getName() + " must be a sealed interface so all its persisted types are known");
    }
    JsonTypeName name = root.getAnnotation(JsonTypeName.class);
    if (name == null || name.value().isBlank()) {
      throw new IllegalArgumentException(
          root.getName() + " is persisted and needs a stable @JsonTypeName");
    }
    Class<?> previous = byName.putIfAbsent(name.value(), root);
    if (previous != null && previous != root) {
      throw new IllegalArgumentException(
          "type name '"
              + name.value()
              + "' is used by both "
              + previous.getName()
              + " and "
              + root.getName());
    }
    byClass.put(root, name.value());
    mapper.registerSubtypes(new NamedType(root, name.value()));
  }

  public String nameOf(Class<?> type) {
    String name = byClass.get(type);
    if (name == null) {
      throw new IllegalArgumentException(
          type.getName() + " is not a registered persisted type (register its kind first)");
    }
    return name;
  }

  public Class<?> classOf(String name) {
    Class<?> type = byName.get(name);
    if (type == null) {
      throw new IllegalArgumentException(
          "unknown persisted type '" + name + "': no registered class has this @JsonTypeName");
    }
    return type;
  }

  /** The extension id: {@code JsonTypes.get(system)}. */
  public static final class Id extends AbstractExtensionId<JsonTypes>
      implements ExtensionIdProvider {
    public static final Id INSTANCE = new Id();

    private Id() {}

    @Override
    public JsonTypes createExtension(ExtendedActorSystem system) {
      return new JsonTypes();
    }

    @Override
    public Id lookup() {
      return INSTANCE;
    }
  }

  public static JsonTypes get(ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  public static JsonTypes get(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    return Id.INSTANCE.get(Adapter.toClassic(system));
  }
}
