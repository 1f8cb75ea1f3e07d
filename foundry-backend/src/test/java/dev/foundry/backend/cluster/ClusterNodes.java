package dev.foundry.backend.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.testing.ChildJvm;
import dev.foundry.backend.testing.PostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A cluster of real backend nodes for tests and benchmarks: one PostgreSQL (Debian's, in a
 * temporary directory) holding the shared journal, and N production jars ({@code java -jar}) on
 * loopback, each with its own data directory and Pekko remoting port, all listing every node as a
 * seed. A node can be killed ({@code kill -9}), stopped (SIGTERM) and restarted on the same data
 * directory and remoting port; its HTTP port is chosen anew at each start ({@code PORT=0}), so
 * clients ask {@link #base} each time.
 *
 * <p>Every node's whole output is appended to {@code target/<log>-<i>.log} whenever the node's
 * process ends (killed, stopped, or closed with the cluster), for the story of a failure.
 */
public final class ClusterNodes implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on http://([^:]+):(\\d+)");
  private static final Duration START = Duration.ofSeconds(120);
  private static final Duration MEMBERSHIP = Duration.ofSeconds(90);

  private final PostgresServer postgres;
  private final String database;
  private final boolean ownsPostgres;
  private final Path jar;
  private final Path dir;
  private final String logName;
  private final Map<String, String> sharedEnv;
  private final int[] remotingPorts;
  private final ChildJvm[] jvms;
  private final String[] bases;
  private final String adminToken = UUID.randomUUID().toString();
  private boolean closed;

  private ClusterNodes(
      PostgresServer postgres,
      boolean ownsPostgres,
      Path jar,
      Path dir,
      String logName,
      Map<String, String> extraEnv,
      int size)
      throws IOException {
    this.postgres = postgres;
    this.ownsPostgres = ownsPostgres;
    this.jar = jar.toAbsolutePath(); // each node runs in its own directory
    this.dir = dir;
    this.logName = logName;
    this.remotingPorts = new int[size];
    this.jvms = new ChildJvm[size];
    this.bases = new String[size];
    for (int i = 0; i < size; i++) {
      remotingPorts[i] = freePort();
    }
    this.database = postgres.createDatabase("cluster");
    Map<String, String> env = new HashMap<>(postgres.environment(database));
    env.put("PORT", "0");
    env.put(
        "FOUNDRY_CLUSTER_SEED_NODES",
        IntStream.of(remotingPorts)
            .mapToObj(p -> "127.0.0.1:" + p)
            .collect(Collectors.joining(",")));
    env.put("FOUNDRY_CLUSTER_HOST", "127.0.0.1");
    // Short enough for a test to see a killed node downed within seconds; the split-brain
    // resolver keeps the majority side.
    env.put("FOUNDRY_CLUSTER_DOWN_AFTER", "4s");
    env.put("FOUNDRY_ADMIN_TOKEN", adminToken);
    // The nodes run without sandboxes even where the test command exports an agent binary (as
    // .ci/run does): cluster mode refuses a local sandbox provider.
    env.put("SANDBOX_AGENT_BIN", "");
    env.putAll(extraEnv);
    this.sharedEnv = Map.copyOf(env);
  }

  /**
   * Starts a PostgreSQL of its own and {@code size} nodes (closing the cluster stops it), and waits
   * until every node serves and sees all {@code size} members up.
   */
  public static ClusterNodes start(
      int size, Path jar, Path dir, String logName, Map<String, String> env) throws Exception {
    return start(PostgresServer.start(), true, size, jar, dir, logName, env);
  }

  /** Like {@link #start(int, Path, Path, String, Map)} on a new database of {@code postgres}. */
  public static ClusterNodes start(
      PostgresServer postgres,
      int size,
      Path jar,
      Path dir,
      String logName,
      Map<String, String> env)
      throws Exception {
    return start(postgres, false, size, jar, dir, logName, env);
  }

  private static ClusterNodes start(
      PostgresServer postgres,
      boolean ownsPostgres,
      int size,
      Path jar,
      Path dir,
      String logName,
      Map<String, String> env)
      throws Exception {
    ClusterNodes nodes;
    try {
      nodes = new ClusterNodes(postgres, ownsPostgres, jar, dir, logName, env, size);
    } catch (Throwable t) {
      if (ownsPostgres) {
        postgres.close();
      }
      throw t;
    }
    try {
      for (int i = 0; i < size; i++) {
        Files.deleteIfExists(nodes.logFile(i));
      }
      // All at once, as an orchestrator starts them: the seed nodes find each other.
      for (int i = 0; i < size; i++) {
        nodes.launch(i);
      }
      for (int i = 0; i < size; i++) {
        nodes.awaitServing(i);
      }
      nodes.awaitMembersUp(size);
      return nodes;
    } catch (Throwable t) {
      nodes.close();
      throw t;
    }
  }

  /** Node {@code i}'s data directory (its actor files: a local cache of what the database has). */
  public Path dataDir(int i) {
    return dir.resolve("node-" + i).resolve("data");
  }

  /** A connection to the nodes' shared journal database, for checks of what they stored. */
  public java.sql.Connection database() throws java.sql.SQLException {
    return postgres.connect(database);
  }

  public int size() {
    return jvms.length;
  }

  /** The HTTP base URL of node {@code i} in its current run, e.g. {@code http://127.0.0.1:4711}. */
  public String base(int i) {
    String base = bases[i];
    if (base == null) {
      throw new IllegalStateException("node " + i + " is not running");
    }
    return base;
  }

  /** Whether node {@code i} runs and serves (started, not killed or stopped since). */
  public boolean isRunning(int i) {
    return bases[i] != null;
  }

  /** The nodes that run now. */
  public List<Integer> running() {
    List<Integer> running = new ArrayList<>();
    for (int i = 0; i < jvms.length; i++) {
      if (isRunning(i)) {
        running.add(i);
      }
    }
    return running;
  }

  /** Node {@code i}'s cluster address as Pekko prints it, {@code pekko://foundry@127.0.0.1:P}. */
  public String address(int i) {
    return "pekko://foundry@127.0.0.1:" + remotingPorts[i];
  }

  public String adminToken() {
    return adminToken;
  }

  /** {@code kill -9} of node {@code i}: no leaving, no handoff; the others must down it. */
  public void kill(int i) throws Exception {
    ChildJvm jvm = jvms[i];
    long pid = jvm.pid();
    jvm.kill();
    bases[i] = null;
    keepLog(i, "pid " + pid + " killed (kill -9)");
  }

  /** SIGTERM to node {@code i}, then waits for its process to end (it leaves the cluster first). */
  public void terminate(int i) throws Exception {
    ChildJvm jvm = jvms[i];
    long pid = jvm.pid();
    jvm.terminate();
    // Clients go on choosing the node until it is gone, as behind a load balancer that has not
    // noticed yet: what it answers while it leaves is what the retry policy is for.
    Integer exit = jvm.waitForExit(Duration.ofSeconds(60));
    bases[i] = null;
    keepLog(i, "pid " + pid + " stopped by SIGTERM, exit " + exit);
    if (exit == null) {
      jvm.kill();
      throw new AssertionError("node " + i + " still ran 60 s after SIGTERM\n" + tail(i, 80));
    }
  }

  /** Starts node {@code i} again on its data directory and remoting port; waits until it serves. */
  public void restart(int i) throws Exception {
    if (jvms[i] != null && jvms[i].isAlive()) {
      throw new IllegalStateException("node " + i + " still runs");
    }
    launch(i);
    awaitServing(i);
  }

  /** The answer of {@code GET /v1/admin/cluster} on node {@code i}. */
  public JsonNode cluster(int i) {
    Browser.Answer a =
        new Browser(base(i))
            .withTimeout(Duration.ofSeconds(10))
            .send("GET", "/v1/admin/cluster", null, null, "Authorization", "Bearer " + adminToken);
    if (a.status() != 200 || a.json() == null) {
      throw new IllegalStateException("node " + i + ": GET /v1/admin/cluster answered " + a);
    }
    return a.json();
  }

  /** The persistence ids ({@code <kind>|<key>}) of the actors that run on node {@code i} now. */
  public List<String> actors(int i) {
    List<String> actors = new ArrayList<>();
    cluster(i).path("actors").forEach(a -> actors.add(a.asText()));
    return actors;
  }

  /**
   * Waits until every running node sees exactly the running nodes as members, all {@code Up}, and
   * none unreachable (a killed node downed and removed, a restarted one joined).
   */
  public void awaitMembersUp(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + MEMBERSHIP.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      List<Integer> running = running();
      TreeSet<String> wanted = new TreeSet<>();
      running.forEach(i -> wanted.add(address(i)));
      StringBuilder views = new StringBuilder();
      boolean agreed = running.size() == expected;
      for (int i : running) {
        try {
          JsonNode view = cluster(i);
          TreeSet<String> up = new TreeSet<>();
          TreeSet<String> all = new TreeSet<>();
          view.path("members")
              .forEach(
                  m -> {
                    all.add(m.path("address").asText());
                    if ("Up".equals(m.path("status").asText())) {
                      up.add(m.path("address").asText());
                    }
                  });
          boolean ok =
              up.equals(wanted) && all.equals(wanted) && view.path("unreachable").isEmpty();
          agreed &= ok;
          views.append("\n  node ").append(i).append(": ").append(view.path("members"));
          views.append(" unreachable ").append(view.path("unreachable"));
        } catch (RuntimeException e) {
          agreed = false;
          views.append("\n  node ").append(i).append(": ").append(e.getMessage());
        }
      }
      if (agreed) {
        return;
      }
      last = views.toString();
      Thread.sleep(250);
    }
    throw new AssertionError(
        "the running nodes "
            + running()
            + " did not all see "
            + expected
            + " members up and none unreachable within "
            + MEMBERSHIP
            + "; last views:"
            + last);
  }

  /** The last {@code n} lines of node {@code i}'s output in its current or last run. */
  public String tail(int i, int n) {
    if (jvms[i] == null) {
      return "";
    }
    List<String> lines = jvms[i].lines();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
  }

  /** Every node's last lines, for a failure message. */
  public String tails(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < jvms.length; i++) {
      b.append("\n--- node ").append(i).append(" (last ").append(n).append(" lines) ---\n");
      b.append(tail(i, n));
    }
    return b.toString();
  }

  public Path logFile(int i) {
    return Path.of("target", logName + "-" + i + ".log");
  }

  @Override
  public void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    try {
      for (int i = 0; i < jvms.length; i++) {
        if (jvms[i] != null && jvms[i].isAlive()) {
          bases[i] = null;
          jvms[i].kill();
          keepLog(i, "pid " + jvms[i].pid() + " killed at the end of the run");
        }
      }
    } finally {
      if (ownsPostgres) {
        postgres.close();
      }
    }
  }

  private void launch(int i) throws IOException {
    Path home = dir.resolve("node-" + i);
    Files.createDirectories(home);
    Map<String, String> env = new HashMap<>(sharedEnv);
    env.put("FOUNDRY_DATA_DIR", home.resolve("data").toString());
    env.put("FOUNDRY_CLUSTER_PORT", Integer.toString(remotingPorts[i]));
    jvms[i] = ChildJvm.startJar(jar, env, home);
  }

  private void awaitServing(int i) throws Exception {
    try {
      String line = jvms[i].awaitLine(l -> LISTENING.matcher(l).find(), START);
      Matcher m = LISTENING.matcher(line);
      if (!m.find()) {
        throw new AssertionError(line);
      }
      String base = "http://127.0.0.1:" + m.group(2);
      jvms[i].awaitLine(l -> l.contains("Foundry ready"), START);
      bases[i] = base;
    } catch (AssertionError e) {
      keepLog(i, "pid " + jvms[i].pid() + " did not start");
      throw new AssertionError("node " + i + " did not start: " + e.getMessage(), e);
    }
  }

  private void keepLog(int i, String header) {
    try {
      Files.createDirectories(logFile(i).toAbsolutePath().getParent());
      Files.writeString(
          logFile(i),
          "=== node " + i + ": " + header + "\n" + jvms[i].output() + "\n",
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
