package dev.foundry.backend.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.foundry.backend.runtime.json.JsonTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;

/**
 * The operator's view of a runtime's actors, for the inspector ({@code /v1/admin/...}): which
 * actors of each kind exist (their files) and which run now, one actor's {@link ActorInspection},
 * and the only changes allowed there, discarding or retrying a failed command.
 */
public final class RuntimeInspector {
  /**
   * An actor of a kind. {@code key} is its canonical key; null for a key too long to be read back
   * from its file name (such an actor is listed, but can be inspected only while it runs).
   */
  public record ActorSummary(String kind, String key, String file, boolean active) {}

  private final DurableRuntime runtime;
  private final Map<String, ActorKind<?, ?, ?>> kinds;
  private final Path actorsDir;

  RuntimeInspector(DurableRuntime runtime, Map<String, ActorKind<?, ?, ?>> kinds) {
    this.runtime = runtime;
    this.kinds = kinds;
    this.actorsDir = runtime.settings().dataDir().resolve("actors");
  }

  /** The kinds this runtime runs, by name. */
  public List<String> kinds() {
    return kinds.keySet().stream().sorted().toList();
  }

  /** The persistence id of an actor: its events in the journal are under it. */
  public String persistenceId(String kind, String key) {
    return kinds.get(kind).persistenceId(parse(key));
  }

  public boolean hasKind(String kind) {
    return kinds.containsKey(kind);
  }

  /**
   * The actors of {@code kind}: every one with a file (created at least once), running or
   * passivated, plus running instances without a file yet; sorted by key.
   */
  public CompletionStage<List<ActorSummary>> actors(String kind) {
    return runtime
        .activeIds()
        .thenApply(
            active -> {
              Map<String, ActorSummary> out = new TreeMap<>();
              String prefix = kind + "|";
              List<String> running =
                  active.stream()
                      .filter(id -> id.startsWith(prefix))
                      .map(id -> id.substring(prefix.length()))
                      .toList();
              for (Path file : files(kind)) {
                String name = file.getFileName().toString();
                String key = decode(name.substring(0, name.length() - ".db".length()));
                String sortKey = key == null ? "~" + name : key;
                out.put(
                    sortKey,
                    new ActorSummary(
                        kind,
                        key,
                        actorsDir.relativize(file).toString(),
                        key != null && running.contains(key)));
              }
              for (String key : running) {
                out.putIfAbsent(key, new ActorSummary(kind, key, null, true));
              }
              return List.copyOf(out.values());
            });
  }

  /**
   * The actor of {@code kind} under the canonical {@code key}, when it exists (has a file or runs);
   * empty otherwise, so that inspecting never creates an actor.
   */
  public CompletionStage<Optional<DurableRef<?>>> actor(String kind, String key) {
    ActorKind<?, ?, ?> k = kinds.get(kind);
    if (k == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    ActorKey actorKey = parse(key);
    if (Files.exists(new ActorFiles(runtime.settings().dataDir()).databaseFile(kind, actorKey))) {
      return CompletableFuture.completedFuture(Optional.of(ref(k, actorKey)));
    }
    return runtime
        .activeIds()
        .thenApply(
            active ->
                active.contains(k.persistenceId(actorKey))
                    ? Optional.of(ref(k, actorKey))
                    : Optional.empty());
  }

  /**
   * Sends the failed command again, under a new command id, then removes it from the failures:
   * answers the new command's id, or empty when there is no such failed command.
   */
  public CompletionStage<Optional<String>> retry(DurableRef<?> actor, String commandId) {
    ActorKind<?, ?, ?> kind = kinds.get(actor.kindName());
    return actor
        .failedCommands()
        .thenCompose(
            failed -> {
              Optional<FailedCommandInfo> found =
                  failed.stream().filter(f -> f.commandId().equals(commandId)).findFirst();
              if (found.isEmpty()) {
                return CompletableFuture.completedFuture(Optional.<String>empty());
              }
              DurableCommand<?> command;
              try {
                command =
                    (DurableCommand<?>)
                        JsonTypes.get(runtime.system())
                            .mapper()
                            .readValue(found.get().commandJson(), kind.commandType());
              } catch (JsonProcessingException | ClassCastException e) {
                return CompletableFuture.failedFuture(
                    new CommandRejectedException(
                        commandId,
                        "not_retryable",
                        "the failed command cannot be read back: " + e.getMessage()));
              }
              String retryId = "retry-" + UUID.randomUUID();
              return actor
                  .tell(command, retryId)
                  .thenCompose(accepted -> actor.discardFailure(commandId))
                  .thenApply(removed -> Optional.of(retryId));
            });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private DurableRef<?> ref(ActorKind<?, ?, ?> kind, ActorKey key) {
    return new DurableRef(runtime, kind, key, false);
  }

  private List<Path> files(String kind) {
    Path dir = actorsDir.resolve(kind);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir, 2)) {
      return walk.filter(p -> p.getFileName().toString().endsWith(".db"))
          .filter(Files::isRegularFile)
          .sorted(Comparator.naturalOrder())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The canonical key a file name encodes ({@link ActorFiles#encode}); null for a hashed name. */
  static String decode(String name) {
    if (name.contains("~")) {
      return null;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '.' && i + 2 < name.length()) {
        bytes.write(Integer.parseInt(name.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The key whose {@link ActorKey#canonical()} is {@code canonical}. */
  static ActorKey parse(String canonical) {
    List<String> segments = new ArrayList<>();
    for (String s : canonical.split("/", -1)) {
      segments.add(s.replace("%2F", "/").replace("%25", "%"));
    }
    return new ActorKey(segments);
  }
}
