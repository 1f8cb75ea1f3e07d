package dev.foundry.backend.runtime;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Which running instances a caller may message directly, without the hop through the {@link
 * ActorRegistry}: the registry is one actor that every message would otherwise pass through.
 *
 * <p>Each instance has a gate. It is open, holding the instance's ref, while the instance runs and
 * no message for it is on its way through the registry; a caller then sends straight to the
 * instance. Otherwise the caller counts its message on the gate and routes it through the registry,
 * which starts the instance or buffers the message while the instance stops. Two rules keep the
 * registry's guarantees:
 *
 * <ul>
 *   <li>The registry closes the gate before it tells an instance to stop, and direct sends happen
 *       under the gate's lock, so every direct message is in the instance's mailbox before the
 *       stop: none reaches a stopped instance, none is lost.
 *   <li>The gate opens only once every routed message has reached the registry, so a caller's
 *       message sent directly never overtakes one it routed before.
 * </ul>
 *
 * A gate is dropped when its instance stopped with nothing routed; a caller that finds a dropped
 * gate takes the new one.
 */
final class InstanceGates {

  /** One instance's gate; its fields are guarded by the gate's lock. */
  static final class Gate {
    private ActorRef<ActorMessage> open;
    private int routed;
    private boolean dropped;
    private boolean used;
  }

  /** How a caller sends one message: straight to the instance, or through the registry. */
  interface Send<T> {
    T direct(ActorRef<ActorMessage> instance);

    T routed(Gate gate);
  }

  private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();
  private final Function<String, Gate> newGate = id -> new Gate();

  /** Sends to the instance {@code id} directly when its gate is open, else through the registry. */
  <T> T send(String id, Send<T> send) {
    while (true) {
      Gate gate = gates.computeIfAbsent(id, newGate);
      synchronized (gate) {
        if (gate.dropped) {
          continue;
        }
        if (gate.open != null) {
          gate.used = true;
          return send.direct(gate.open);
        }
        gate.routed++;
      }
      return send.routed(gate);
    }
  }

  /**
   * A routed message reached the registry; {@code running} is the instance it was told to, or null
   * when it was buffered. The gate opens when it was the last one on its way.
   */
  void arrived(Gate gate, ActorRef<ActorMessage> running) {
    synchronized (gate) {
      gate.routed--;
      if (gate.routed == 0 && running != null) {
        gate.open = running;
      }
    }
  }

  /** The instance runs again (started anew, or staying after all): open unless messages wait. */
  void open(Gate gate, ActorRef<ActorMessage> running) {
    synchronized (gate) {
      if (gate.routed == 0) {
        gate.open = running;
      }
    }
  }

  /** Before the instance is told to stop: from now on its messages go through the registry. */
  void close(Gate gate) {
    synchronized (gate) {
      gate.open = null;
    }
  }

  /** The instance stopped for good: the gate goes, unless routed messages will start it again. */
  void stopped(String id, Gate gate) {
    synchronized (gate) {
      gate.open = null;
      if (gate.routed == 0) {
        gate.dropped = true;
        gates.remove(id, gate);
      }
    }
  }

  /**
   * Whether a caller sent to the instance directly since the last look (the registry does not see
   * those messages, so its own access order would call a busy instance least recently used).
   */
  boolean takeUsed(Gate gate) {
    synchronized (gate) {
      boolean used = gate.used;
      gate.used = false;
      return used;
    }
  }
}
