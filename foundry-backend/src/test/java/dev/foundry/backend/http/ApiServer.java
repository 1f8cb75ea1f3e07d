package dev.foundry.backend.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.FoundryApp;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.sandbox.provider.local.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real backend ({@link FoundryApp}) on a free loopback port with its data in a temporary
 * directory, configured through environment variables the way an operator configures it.
 */
public final class ApiServer implements AutoCloseable {
  /**
   * Sandboxes outlive their backend by design, so a closed server leaves its sandbox servers
   * running for a test that restarts on the same directory. Those of a directory no test uses any
   * more are ended when a server starts on another directory, and at the latest when the JVM ends.
   */
  private static final Map<Path, List<Leftover>> LEFTOVERS = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> endLeftovers(null)));
  }

  private record Leftover(String sandboxId, long pid, long startTicks) {}

  private final FoundryApp app;
  private final Path dataDir;
  private final Path sandboxRoot;

  private ApiServer(FoundryApp app, Path dataDir, Path sandboxRoot) {
    this.app = app;
    this.dataDir = dataDir;
    this.sandboxRoot = sandboxRoot;
  }

  public static ApiServer start(Path dir, Map<String, String> environment) {
    endLeftovers(dir);
    Map<String, String> env = new HashMap<>(environment);
    env.put("PORT", "0");
    env.put("FOUNDRY_DATA_DIR", dir.resolve("data").toString());
    Config config =
        FoundryConfig.load(env, ConfigFactory.parseMap(Map.of("pekko.loglevel", "WARNING")));
    FoundrySettings settings = FoundrySettings.from(config);
    return new ApiServer(FoundryApp.start(config, settings), dir, settings.sandbox().root());
  }

  public static ApiServer start(Path dir) {
    return start(dir, Map.of());
  }

  public FoundryApp app() {
    return app;
  }

  public String base() {
    return "http://127.0.0.1:" + app.port();
  }

  public Browser browser() {
    return new Browser(base());
  }

  /** A bare git repository on disk, for {@code POST .../repos} with a {@code file://} URL. */
  public String bareRepository(String name) throws Exception {
    Path repo = dataDir.resolve("remotes").resolve(name + ".git");
    Files.createDirectories(repo);
    Process git =
        new ProcessBuilder("git", "init", "--bare", "-q", repo.toString())
            .redirectErrorStream(true)
            .start();
    if (!git.waitFor(30, TimeUnit.SECONDS) || git.exitValue() != 0) {
      throw new IllegalStateException(
          "git init failed: " + new String(git.getInputStream().readAllBytes()));
    }
    return repo.toUri().toString();
  }

  @Override
  public void close() {
    app.stop(Duration.ofSeconds(20));
    List<Leftover> running = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(sandboxRoot)) {
      for (Path record :
          dirs.map(d -> d.resolve("sandbox.json")).filter(Files::isRegularFile).toList()) {
        JsonNode r = new ObjectMapper().readTree(record.toFile());
        if (r.path("pid").asLong() > 0) {
          running.add(
              new Leftover(
                  r.path("sandboxId").asText(),
                  r.path("pid").asLong(),
                  r.path("pidStartTicks").asLong()));
        }
      }
    } catch (IOException e) {
      // no sandbox root: nothing was left
    }
    LEFTOVERS.merge(dataDir, running, (a, b) -> Stream.concat(a.stream(), b.stream()).toList());
  }

  /** Ends the leftover sandboxes of every directory but {@code except}, and their cgroups. */
  private static void endLeftovers(Path except) {
    for (Path dir : List.copyOf(LEFTOVERS.keySet())) {
      if (dir.equals(except)) {
        continue;
      }
      for (Leftover l : LEFTOVERS.remove(dir)) {
        boolean same = ProcessTree.startTicks(l.pid()).map(t -> t == l.startTicks()).orElse(false);
        if (same) {
          ProcessTree.terminate(l.pid(), Duration.ofSeconds(1));
        }
        for (String controller : List.of("pids", "memory")) {
          try {
            Files.deleteIfExists(
                Path.of("/sys/fs/cgroup", controller, "foundry-sandboxes", l.sandboxId()));
          } catch (IOException e) {
            // still has processes, or no cgroups here: left to the kernel
          }
        }
      }
    }
  }
}
