package dev.foundry.backend.runtime;

import dev.foundry.backend.runtime.InstanceGates.Gate;
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
 * to its next incarnation. The single-node counterpart of Cluster Sharding's shard region. Callers
 * reach a running instance directly while its gate is open ({@link InstanceGates}); the registry
 * closes the gate before it stops the instance and opens it when the instance runs again.
 */
final class ActorRegistry extends AbstractBehavior<ActorRegistry.Command> {

  sealed interface Command {}

  /** A message the caller counted on {@code gate} and sent here because the gate was closed. */
  record Route(ActorKind<?, ?, ?> kind, ActorKey key, ActorMessage message, Gate gate)
      implements Command {}

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

  /** At most this many instances are looked at per new instance beyond the active cap. */
  private static final int CAP_SCAN = 64;

  private static final class Entry {
    final ActorKind<?, ?, ?> kind;
    final ActorKey key;
    final Gate gate;
    ActorRef<ActorMessage> ref;

    /** Non-null while the instance is stopping: messages wait here for the next incarnation. */
    List<ActorMessage> buffer;

    Entry(ActorKind<?, ?, ?> kind, ActorKey key, Gate gate) {
      this.kind = kind;
      this.key = key;
      this.gate = gate;
    }
  }

  private final DurableRuntime runtime;
  private final RuntimeSettings settings;
  private final InstanceGates gates;

  /** In access order: the first entries are the least recently used (for the active cap). */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true);

  static Behavior<Command> create(
      DurableRuntime runtime, RuntimeSettings settings, InstanceGates gates) {
    return Behaviors.setup(context -> new ActorRegistry(context, runtime, settings, gates));
  }

  private ActorRegistry(
      ActorContext<Command> context,
      DurableRuntime runtime,
      RuntimeSettings settings,
      InstanceGates gates) {
    super(context);
    this.runtime = runtime;
    this.settings = settings;
    this.gates = gates;
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
      entry = new Entry(route.kind(), route.key(), route.gate());
      entries.put(id, entry);
      start(id, entry);
      enforceActiveLimit(id);
    }
    if (entry.buffer != null) {
      entry.buffer.add(route.message());
      gates.arrived(route.gate(), null);
    } else {
      entry.ref.tell(route.message());
      gates.arrived(route.gate(), entry.ref);
    }
    return this;
  }

  /**
   * Beyond {@code max-active-actors}, asks a few of the least recently used instances to stop (an
   * instance with work refuses and stays). A few per new instance keeps the cost flat. Messages
   * sent directly do not pass here, so an instance used that way since the last look gets a second
   * chance: it moves to the back of the order instead.
   */
  private void enforceActiveLimit(String keep) {
    int excess = entries.size() - settings.maxActiveActors();
    if (excess <= 0) {
      return;
    }
    int asked = 0;
    int scanned = 0;
    List<String> usedMeanwhile = new ArrayList<>();
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext() && asked < Math.min(excess, 4) && scanned++ < CAP_SCAN) {
      Map.Entry<String, Entry> e = it.next();
      Entry entry = e.getValue();
      if (entry.buffer == null && !e.getKey().equals(keep)) {
        if (gates.takeUsed(entry.gate)) {
          usedMeanwhile.add(e.getKey());
          continue;
        }
        stop(entry);
        asked++;
      }
    }
    usedMeanwhile.forEach(entries::get); // an access: to the back of the order
  }

  /**
   * Closes the instance's gate, then tells it to stop: nothing sent directly can follow the stop.
   */
  private void stop(Entry entry) {
    gates.close(entry.gate);
    entry.buffer = new ArrayList<>();
    entry.ref.tell(ActorMessage.Stop.INSTANCE);
  }

  private Behavior<Command> onPassivate(Passivate passivate) {
    Entry entry = entries.get(passivate.entityId());
    if (entry != null && entry.ref.equals(passivate.ref()) && entry.buffer == null) {
      stop(entry);
    }
    return this;
  }

  private Behavior<Command> onStayActive(StayActive stay) {
    Entry entry = entries.get(stay.entityId());
    if (entry != null && entry.ref.equals(stay.ref()) && entry.buffer != null) {
      List<ActorMessage> waiting = entry.buffer;
      entry.buffer = null;
      waiting.forEach(entry.ref::tell);
      gates.open(entry.gate, entry.ref);
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
      gates.stopped(stopped.entityId(), entry.gate);
      return this;
    }
    entry.buffer = null;
    start(stopped.entityId(), entry);
    waiting.forEach(entry.ref::tell);
    gates.open(entry.gate, entry.ref);
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
    ActorRef<ActorMessage> ref =
        getContext().spawnAnonymous(behavior, DurableRuntime.ACTOR_DISPATCHER);
    holder[0] = ref;
    entry.ref = ref;
    getContext().watchWith(ref, new Stopped(entityId, ref));
  }
}
