package dev.foundry.backend.runtime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Routes messages to actor instances by kind and key, starting them on demand and passivating idle
 * ones without losing a message: while an instance stops, its messages are buffered and delivered
 * to its next incarnation. The single-node counterpart of Cluster Sharding's shard region.
 */
final class ActorRegistry extends AbstractBehavior<ActorRegistry.Command> {

  sealed interface Command {}

  record Route(ActorKind<?, ?, ?> kind, ActorKey key, ActorMessage message) implements Command {}

  record Passivate(String entityId, ActorRef<ActorMessage> ref) implements Command {}

  /** The instance had work after all when the stop arrived; it keeps running. */
  record StayActive(String entityId, ActorRef<ActorMessage> ref) implements Command {}

  record Stopped(String entityId, ActorRef<ActorMessage> ref) implements Command {}

  /** The running instances, as {@code kind|canonical key} (for the operator's inspector). */
  record ListActive(ActorRef<List<String>> replyTo) implements Command {}

  /**
   * How an instance asks to stop, and says it stays after all. {@code cancel} is null under Cluster
   * Sharding, which buffers an instance's messages from its request until it stopped: such an
   * instance cannot stay, it stops once its command at hand is written.
   */
  record Passivation(Runnable request, Runnable cancel) {
    static Passivation sharded(Runnable request) {
      return new Passivation(request, null);
    }

    boolean cancellable() {
      return cancel != null;
    }
  }

  private static final class Entry {
    final ActorKind<?, ?, ?> kind;
    final ActorKey key;
    ActorRef<ActorMessage> ref;

    /** Non-null while the instance is stopping: messages wait here for the next incarnation. */
    List<ActorMessage> buffer;

    Entry(ActorKind<?, ?, ?> kind, ActorKey key) {
      this.kind = kind;
      this.key = key;
    }
  }

  private final DurableRuntime runtime;
  private final RuntimeSettings settings;

  /** In access order: the first entries are the least recently used (for the active cap). */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true);

  static Behavior<Command> create(DurableRuntime runtime, RuntimeSettings settings) {
    return Behaviors.setup(context -> new ActorRegistry(context, runtime, settings));
  }

  private ActorRegistry(
      ActorContext<Command> context, DurableRuntime runtime, RuntimeSettings settings) {
    super(context);
    this.runtime = runtime;
    this.settings = settings;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Route.class, this::onRoute)
        .onMessage(Passivate.class, this::onPassivate)
        .onMessage(Stopped.class, this::onStopped)
        .onMessage(StayActive.class, this::onStayActive)
        .onMessage(
            ListActive.class,
            c -> {
              c.replyTo().tell(List.copyOf(entries.keySet()));
              return this;
            })
        .build();
  }

  private Behavior<Command> onRoute(Route route) {
    String id = route.kind().persistenceId(route.key());
    Entry entry = entries.get(id);
    if (entry == null) {
      entry = new Entry(route.kind(), route.key());
      entries.put(id, entry);
      start(id, entry);
      enforceActiveLimit(id);
    }
    if (entry.buffer != null) {
      entry.buffer.add(route.message());
    } else {
      entry.ref.tell(route.message());
    }
    return this;
  }

  /**
   * Beyond {@code max-active-actors}, asks a few of the least recently used instances to stop (an
   * instance with work refuses and stays). A few per new instance keeps the cost flat.
   */
  private void enforceActiveLimit(String keep) {
    int excess = entries.size() - settings.maxActiveActors();
    if (excess <= 0) {
      return;
    }
    int asked = 0;
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext() && asked < Math.min(excess, 4)) {
      Map.Entry<String, Entry> e = it.next();
      Entry entry = e.getValue();
      if (entry.buffer == null && !e.getKey().equals(keep)) {
        entry.buffer = new ArrayList<>();
        entry.ref.tell(ActorMessage.Stop.INSTANCE);
        asked++;
      }
    }
  }

  private Behavior<Command> onPassivate(Passivate passivate) {
    Entry entry = entries.get(passivate.entityId());
    if (entry != null && entry.ref.equals(passivate.ref()) && entry.buffer == null) {
      entry.buffer = new ArrayList<>();
      entry.ref.tell(ActorMessage.Stop.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onStayActive(StayActive stay) {
    Entry entry = entries.get(stay.entityId());
    if (entry != null && entry.ref.equals(stay.ref()) && entry.buffer != null) {
      List<ActorMessage> waiting = entry.buffer;
      entry.buffer = null;
      waiting.forEach(entry.ref::tell);
    }
    return this;
  }

  private Behavior<Command> onStopped(Stopped stopped) {
    Entry entry = entries.get(stopped.entityId());
    if (entry == null || !entry.ref.equals(stopped.ref())) {
      return this;
    }
    List<ActorMessage> waiting = entry.buffer;
    if (waiting == null || waiting.isEmpty()) {
      // Stopped idle (or crashed with nothing waiting): the next message starts it again.
      entries.remove(stopped.entityId());
      return this;
    }
    entry.buffer = null;
    start(stopped.entityId(), entry);
    waiting.forEach(entry.ref::tell);
    return this;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void start(String entityId, Entry entry) {
    ActorRef<Command> self = getContext().getSelf();
    ActorRef<ActorMessage>[] holder = new ActorRef[1];
    Behavior<ActorMessage> behavior =
        DurableBehavior.create(
            (ActorKind) entry.kind,
            entry.key,
            runtime,
            settings,
            new Passivation(
                () -> self.tell(new Passivate(entityId, holder[0])),
                () -> self.tell(new StayActive(entityId, holder[0]))));
    ActorRef<ActorMessage> ref = getContext().spawnAnonymous(behavior);
    holder[0] = ref;
    entry.ref = ref;
    getContext().watchWith(ref, new Stopped(entityId, ref));
  }
}
