package dev.foundry.sandbox.provider.local;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ServerSocketRelay}s one backend holds, one per sandbox without network whose server it
 * started or reattached to.
 */
final class ServerRelays {

  private final Map<String, ServerSocketRelay> relays = new ConcurrentHashMap<>();

  /** Keeps the relay of a server just started, closing one left from the server it replaces. */
  void put(String sandboxId, ServerSocketRelay relay) {
    Optional.ofNullable(relays.put(sandboxId, relay)).ifPresent(ServerSocketRelay::close);
  }

  /**
   * The port of the open relay to a sandbox's socket; a backend that did not start the server (it
   * restarted meanwhile) makes one now, on the recorded port if it is free.
   */
  int port(LocalSandboxRecord record, Path sandboxDir) {
    return relays
        .compute(
            record.sandboxId(),
            (id, known) ->
                known != null && known.isOpen()
                    ? known
                    : ServerSocketRelay.open(
                        id, OfflineNetwork.hostSocket(sandboxDir), record.port()))
        .port();
  }

  void close(String sandboxId) {
    Optional.ofNullable(relays.remove(sandboxId)).ifPresent(ServerSocketRelay::close);
  }

  void closeAll() {
    for (String sandboxId : List.copyOf(relays.keySet())) {
      close(sandboxId);
    }
  }
}
