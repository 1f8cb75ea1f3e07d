package dev.foundry.backend.http.realtime;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The running realtime connections by the session they were opened with, so that the end of a
 * session (sign-out, a sign-in replacing it, expiry) closes its sockets. A connection is here from
 * the moment its socket's stream runs until it ends.
 */
final class OpenSockets {
  private final ConcurrentHashMap<String, Set<RealtimeConnection>> bySession =
      new ConcurrentHashMap<>();

  void opened(RealtimeConnection connection) {
    bySession.compute(
        connection.sessionId(),
        (id, connections) -> {
          Set<RealtimeConnection> set =
              connections == null ? ConcurrentHashMap.newKeySet() : connections;
          set.add(connection);
          return set;
        });
  }

  void closed(RealtimeConnection connection) {
    bySession.computeIfPresent(
        connection.sessionId(),
        (id, connections) -> {
          connections.remove(connection);
          return connections.isEmpty() ? null : connections;
        });
  }

  /** Closes every connection of {@code userId}: they reconnect with what they may still see. */
  void userAccessChanged(String userId) {
    for (Set<RealtimeConnection> connections : bySession.values()) {
      for (RealtimeConnection c : connections) {
        if (c.userId().equals(userId)) {
          closed(c);
          c.sessionEnded();
        }
      }
    }
  }

  /** Closes every connection opened with {@code sessionId}. */
  void sessionEnded(String sessionId) {
    Set<RealtimeConnection> connections = bySession.remove(sessionId);
    if (connections != null) {
      connections.forEach(RealtimeConnection::sessionEnded);
    }
  }

  /** Closes every connection: this server stops (clients reconnect, on another node if any). */
  void closeAll() {
    for (String sessionId : bySession.keySet()) {
      Set<RealtimeConnection> connections = bySession.remove(sessionId);
      if (connections != null) {
        connections.forEach(RealtimeConnection::serverStopping);
      }
    }
  }
}
