package dev.foundry.backend.runtime;

import dev.foundry.backend.runtime.ActorMessage.Accepted;
import dev.foundry.backend.runtime.ActorMessage.Failed;
import dev.foundry.backend.runtime.ActorMessage.Reply;
import dev.foundry.backend.runtime.ActorMessage.Submit;
import dev.foundry.backend.runtime.ActorMessage.WaitExpired;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The callers of a durable actor that wait for a queued command's result ({@code wait=true}), by
 * command id, and their timeouts: one timer per command, answered with {@link
 * CommandTimeoutException} when it fires first. Confined to the actor.
 */
final class Waiters {
  private final TimerScheduler<ActorMessage> timers;
  private final Map<String, List<ActorRef<Reply>>> waiters = new HashMap<>();

  Waiters(TimerScheduler<ActorMessage> timers) {
    this.timers = timers;
  }

  /** A persisted command: its caller waits for the result, or learns it was accepted. */
  void acknowledge(Submit submit) {
    if (submit.awaitResult()) {
      add(submit.commandId(), submit.replyTo(), submit.timeout());
    } else {
      submit.replyTo().tell(new Accepted(submit.commandId()));
    }
  }

  void add(String id, ActorRef<Reply> replyTo, Duration timeout) {
    waiters.computeIfAbsent(id, k -> new ArrayList<>(1)).add(replyTo);
    timers.startSingleTimer("wait-" + id, new WaitExpired(id, timeout), timeout);
  }

  void answer(String id, Reply reply) {
    List<ActorRef<Reply>> refs = waiters.remove(id);
    if (refs != null) {
      timers.cancel("wait-" + id);
      refs.forEach(r -> r.tell(reply));
    }
  }

  void expired(WaitExpired expired) {
    List<ActorRef<Reply>> refs = waiters.get(expired.commandId());
    if (refs != null) {
      // The timer is per command; callers that came later with a longer timeout wait on.
      waiters.remove(expired.commandId());
      CommandTimeoutException timeout =
          new CommandTimeoutException(expired.commandId(), expired.after());
      refs.forEach(r -> r.tell(new Failed(expired.commandId(), timeout)));
    }
  }

  boolean isEmpty() {
    return waiters.isEmpty();
  }
}
