package dev.foundry.backend.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recovered state of a durable actor as Pekko Persistence sees it: whether it exists, how many
 * journal events it has (the sequence number of the last), and its accepted-but-not-completed
 * commands in arrival order. The domain state lives in SQLite, not here.
 *
 * <p>Mutable and confined to the actor; snapshots copy it ({@link #toSnapshot}).
 */
final class QueueState {
  boolean created;
  long seqNr;
  final LinkedHashMap<String, RuntimeEvent.CommandAccepted> pending = new LinkedHashMap<>();

  RuntimeEvent.CommandAccepted head() {
    return pending.isEmpty() ? null : pending.values().iterator().next();
  }

  List<RuntimeEvent.CommandAccepted> pendingList() {
    return new ArrayList<>(pending.values());
  }

  static QueueState of(boolean created, long seqNr, List<RuntimeEvent.CommandAccepted> pending) {
    QueueState s = new QueueState();
    s.created = created;
    s.seqNr = seqNr;
    for (RuntimeEvent.CommandAccepted a : pending) {
      s.pending.put(a.commandId(), a);
    }
    return s;
  }

  Map<String, RuntimeEvent.CommandAccepted> pending() {
    return pending;
  }
}
