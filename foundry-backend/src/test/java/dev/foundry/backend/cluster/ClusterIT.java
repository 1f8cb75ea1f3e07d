package dev.foundry.backend.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.cluster.ClusterLedger.Create;
import dev.foundry.backend.cluster.ClusterLedger.Task;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.reliability.RealtimeWatcher;
import dev.foundry.backend.runtime.ActorFiles;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.testing.Git;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode (issue #19), end to end: a real PostgreSQL and three production jars on loopback
 * forming one Pekko cluster ({@link ClusterNodes}), driven over REST and WebSocket by one signed-in
 * user whose requests go to every node ({@link ClusterClient}, every answer in a {@link
 * ClusterLedger}). In order, on the same cluster:
 *
 * <ol>
 *   <li>commands reach actors placed on every node;
 *   <li>{@code kill -9} of a node under load: no acknowledged command lost, none applied twice, its
 *       actors served by the others, and the node rejoins when restarted;
 *   <li>a WebSocket on one node sees the changes of an actor on another node;
 *   <li>a rolling restart (SIGTERM, start, node by node) under load fails no request beyond the
 *       client's retries, and the sockets of a leaving node are closed cleanly and reopened
 *       elsewhere with a fresh snapshot.
 * </ol>
 *
 * <p>The nodes run without sandboxes (no {@code SANDBOX_AGENT_BIN}): cluster mode's sandboxes are
 * remote, and this suite is about the actors. Each node's output is in {@code
 * target/cluster-node-<i>.log}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  private static final int NODES = 3;
  private static final Duration CONVERGE = Duration.ofSeconds(90);

  @TempDir static Path dir;

  private final ClusterLedger ledger = new ClusterLedger();
  private final AtomicInteger sequence = new AtomicInteger();
  private ClusterNodes nodes;
  private ClusterClient client;
  private String org;
  private String repoId;

  @BeforeAll
  void startCluster() throws Exception {
    Path jar = Path.of(System.getProperty("foundry.jar", "target/foundry-backend.jar"));
    assertThat(jar).as("the shaded jar (mvn package)").isRegularFile();
    Path remote = Git.seedRemote(dir);
    Map<String, String> env = new HashMap<>();
    // A request for an actor on a node that died answers 504 well before the client's timeout.
    env.put("FOUNDRY_COMMAND_TIMEOUT", "10s");
    // No actor passivates during the run, so an actor's node is the one that last started it.
    env.put("FOUNDRY_PASSIVATE_AFTER", "30m");
    nodes = ClusterNodes.start(NODES, jar, dir.resolve("cluster"), "cluster-node", env);
    Browser alice = new Browser(nodes.base(0));
    Browser.Answer signedIn = alice.signIn("alice");
    assertThat(signedIn.status()).as("%s", signedIn).isEqualTo(200);
    org = signedIn.json().path("activeOrganizationId").asText();
    Browser.Answer repo =
        alice.post(
            "/v1/organizations/" + org + "/repos",
            "{\"remoteUrl\":\"" + remote.toUri() + "\"}",
            "Idempotency-Key",
            "cluster-repo");
    assertThat(repo.status()).as("%s", repo).isEqualTo(201);
    repoId = repo.json().path("repoId").asText();
    client = new ClusterClient(nodes, alice.cookie(), org, repoId, ledger);
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (nodes != null) {
      nodes.close();
    }
    System.out.println(
        "cluster: " + ledger + "; " + (client == null ? 0 : client.retries()) + " retries");
  }

  /** Each test starts on a whole cluster, even when the one before failed half-way. */
  @BeforeEach
  void allNodesUp() throws Exception {
    for (int i = 0; i < NODES; i++) {
      if (!nodes.isRunning(i)) {
        nodes.restart(i);
      }
    }
    nodes.awaitMembersUp(NODES);
  }

  // 1. Commands for actors on every node -----------------------------------------------------

  @Test
  @Order(1)
  void commandsReachActorsOnEveryNode() throws Exception {
    for (int n = 0; n < 30; n++) {
      Create create = client.newCreate("spread " + sequence.incrementAndGet());
      Browser.Answer a = client.withRetries(n % NODES, node -> client.create(create, node));
      assertThat(ClusterClient.status(a)).as("create %s: %s", create.key, a).isEqualTo(201);
    }
    for (int i = 0; i < NODES; i++) {
      assertThat(tasksOn(i)).as("tasks whose actors run on node %d", i).isNotEmpty();
    }
    everyTaskRunsOnAtMostOneNode();
  }

  // 2. kill -9 under load --------------------------------------------------------------------

  @Test
  @Order(2)
  void killNineUnderLoadLosesNoAcknowledgedCommandAndAppliesNoneTwice() throws Exception {
    int doomed = NODES - 1;
    Set<String> onDoomed = tasksOn(doomed);
    assertThat(onDoomed).as("tasks whose actors run on node %d", doomed).isNotEmpty();
    try (Load load = new Load(4, 100L, false, Set.of())) {
      load.start();
      awaitAcknowledged(load, 30);
      nodes.kill(doomed);
      System.out.println(
          "cluster: node " + doomed + " killed after " + load.acknowledged + " acks");
      // The others down it (unreachable, then the split-brain resolver's stable-after) while the
      // load goes on; then it must go on making progress without the dead node.
      nodes.awaitMembersUp(NODES - 1);
      int atDowning = load.acknowledged.get();
      awaitAcknowledged(load, atDowning + 30);
      load.stopAndCheck();
    }
    System.out.println("cluster: after the kill: " + ledger);
    resolveCreates();
    tasksExistExactlyOnce();
    titlesAreAllowed();
    for (String taskId : onDoomed) {
      Task task = ledger.tasks.get(taskId);
      String title = "resumed " + sequence.incrementAndGet();
      Browser.Answer a =
          client.withRetries(client.anyRunning(), n -> client.rename(task, title, n));
      assertThat(ClusterClient.status(a))
          .as("a rename of task %s, whose actor ran on the killed node: %s", taskId, a)
          .isEqualTo(200);
    }
    titlesAreAllowed();
    Set<String> resumed = new TreeSet<>();
    for (int i : nodes.running()) {
      resumed.addAll(tasksOn(i));
    }
    assertThat(resumed)
        .as("the killed node's tasks run on the survivors %s", nodes.running())
        .containsAll(onDoomed);
    everyTaskRunsOnAtMostOneNode();

    nodes.restart(doomed);
    nodes.awaitMembersUp(NODES);
    Browser.Answer list = client.send(doomed, "GET", client.orgPath("/tasks"), null);
    assertThat(ClusterClient.status(list)).as("the rejoined node serves: %s", list).isEqualTo(200);
  }

  // 3. Realtime across nodes -----------------------------------------------------------------

  @Test
  @Order(3)
  void aSocketOnOneNodeSeesChangesOfAnActorOnAnother() throws Exception {
    int socketNode = 0;
    int actorNode = 1;
    int restNode = 2;
    Set<String> onActorNode = tasksOn(actorNode);
    assertThat(onActorNode).as("tasks whose actors run on node %d", actorNode).isNotEmpty();
    Task task = ledger.tasks.get(onActorNode.iterator().next());
    String topicId = org + "/" + task.id;
    try (RealtimeWatcher taskSocket =
            RealtimeWatcher.open(nodes.base(socketNode), client.cookie());
        RealtimeWatcher orgSocket = RealtimeWatcher.open(nodes.base(socketNode), client.cookie())) {
      taskSocket.subscribe("task", topicId);
      orgSocket.subscribe("organization", org);
      assertThat(taskSocket.next(snapshotOf("task", topicId), CONVERGE)).isNotNull();
      assertThat(orgSocket.next(snapshotOf("organization", org), CONVERGE)).isNotNull();

      String title = "realtime " + sequence.incrementAndGet();
      Browser.Answer renamed = client.withRetries(restNode, n -> client.rename(task, title, n));
      assertThat(ClusterClient.status(renamed)).as("%s", renamed).isEqualTo(200);

      JsonNode taskEvent =
          taskSocket.next(
              f ->
                  isEvent(f, "task", topicId, "taskUpdated")
                      && title.equals(f.path("payload").path("title").asText()),
              CONVERGE);
      assertThat(taskEvent)
          .as(
              "node %d's socket sees the rename of task %s (actor on node %d, renamed via node %d)",
              socketNode, task.id, actorNode, restNode)
          .isNotNull();
      JsonNode summaryEvent =
          orgSocket.next(
              f ->
                  isEvent(f, "organization", org, "taskSummaryUpdated")
                      && task.id.equals(f.path("payload").path("id").asText())
                      && title.equals(f.path("payload").path("title").asText()),
              CONVERGE);
      assertThat(summaryEvent).as("the organization topic on node %d", socketNode).isNotNull();
      assertThat(taskSocket.errorFrames() + orgSocket.errorFrames()).isZero();
    }
  }

  // 4. Rolling restart -----------------------------------------------------------------------
  /**
   * A node that leaves hands its actors over with a backup of each file in the shared store, as new
   * as the file it leaves behind (read after the node exited): the next node replays only what
   * follows. Journal events that change no file (queue bookkeeping) are not counted.
   */
  private void assertHandedOffWithAFreshBackup(int leaving, List<String> actors) throws Exception {
    assertThat(actors).as("actors on node %d before it left", leaving).isNotEmpty();
    ActorFiles files = new ActorFiles(nodes.dataDir(leaving));
    List<String> stale = new ArrayList<>();
    int checked = 0;
    try (Connection c = nodes.database();
        PreparedStatement s =
            c.prepareStatement("SELECT seq_nr FROM actor_backup WHERE persistence_id = ?")) {
      for (String id : actors) {
        int bar = id.indexOf('|');
        Path file = files.databaseFile(id.substring(0, bar), ActorKey.parse(id.substring(bar + 1)));
        if (!Files.exists(file)) {
          continue;
        }
        long applied = appliedBy(file);
        s.setString(1, id);
        try (ResultSet rs = s.executeQuery()) {
          long backedUp = rs.next() ? rs.getLong(1) : -1;
          if (backedUp < applied) {
            stale.add(id + " backed up to " + backedUp + ", its file applied " + applied);
          }
        }
        checked++;
      }
    }
    assertThat(checked).as("actor files node %d left behind", leaving).isPositive();
    assertThat(stale).as("actors node %d handed off without a fresh backup", leaving).isEmpty();
  }

  private static long appliedBy(Path actorFile) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + actorFile);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT max(seq_nr) FROM _runtime_applied")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  @Test
  @Order(4)
  void aRollingRestartFailsNoRequestBeyondTheClientsRetries() throws Exception {
    // A task of its own for the sockets: nothing else renames it.
    Create watched = client.newCreate("watched " + sequence.incrementAndGet());
    Browser.Answer created = client.withRetries(0, n -> client.create(watched, n));
    assertThat(ClusterClient.status(created)).as("%s", created).isEqualTo(201);
    Task task = ledger.tasks.get(watched.taskId);
    String topicId = org + "/" + task.id;

    try (Load load = new Load(2, 250L, true, Set.of(task.id))) {
      load.start();
      for (int leaving = 0; leaving < NODES; leaving++) {
        int other = (leaving + 1) % NODES;
        try (RealtimeWatcher socket = RealtimeWatcher.open(nodes.base(leaving), client.cookie())) {
          socket.subscribe("task", topicId);
          assertThat(socket.next(snapshotOf("task", topicId), CONVERGE)).isNotNull();
          List<String> handedOff = nodes.actors(leaving);
          nodes.terminate(leaving);
          assertHandedOffWithAFreshBackup(leaving, handedOff);
          int code = socket.awaitCloseFrame(Duration.ofSeconds(5));
          System.out.println("cluster: node " + leaving + " left; its socket closed with " + code);
        }
        nodes.awaitMembersUp(NODES - 1);

        // Changed while the client was away: the reconnected socket's snapshot must show it.
        String title = "while node " + leaving + " was away " + sequence.incrementAndGet();
        Browser.Answer renamed = client.withRetries(other, n -> client.rename(task, title, n));
        assertThat(ClusterClient.status(renamed)).as("%s", renamed).isEqualTo(200);
        try (RealtimeWatcher again = RealtimeWatcher.open(nodes.base(other), client.cookie())) {
          again.subscribe("task", topicId);
          JsonNode snapshot = again.next(snapshotOf("task", topicId), CONVERGE);
          assertThat(snapshot).as("a snapshot after reconnecting to node %d", other).isNotNull();
          assertThat(snapshot.path("payload").path("title").asText()).isEqualTo(title);
        }

        nodes.restart(leaving);
        nodes.awaitMembersUp(NODES);
        int atRejoin = load.acknowledged.get();
        awaitAcknowledged(load, atRejoin + 10);
      }
      load.stopAndCheck();
      assertThat(load.failures)
          .as("requests that failed beyond %d attempts", ClusterClient.MAX_ATTEMPTS)
          .isEmpty();
    }
    titlesAreAllowed();
  }

  // The load -----------------------------------------------------------------------------------

  /**
   * Client threads sending requests to random running nodes until stopped. Each thread owns a share
   * of the tasks (only it renames them, so a task's renames are in the order they were sent) and
   * the tasks it creates. Without retries (the kill test) each attempt is recorded once and an
   * unanswered create is retried later with its key; with retries (the rolling restart) every
   * request follows the client's retry policy and one that still fails is a failure.
   */
  private final class Load implements AutoCloseable {
    final AtomicInteger acknowledged = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> crashes = new CopyOnWriteArrayList<>();
    private final long pauseMillis;
    private final boolean retrying;

    /** {@code excluded}: tasks the load leaves alone (the test renames them itself). */
    Load(int threadCount, long pauseMillis, boolean retrying, Set<String> excluded) {
      this.pauseMillis = pauseMillis;
      this.retrying = retrying;
      List<Task> existing =
          ledger.tasks.values().stream().filter(t -> !excluded.contains(t.id)).toList();
      for (int t = 0; t < threadCount; t++) {
        List<Task> owned = new ArrayList<>();
        for (int i = t; i < existing.size(); i += threadCount) {
          owned.add(existing.get(i));
        }
        Random random = new Random(t);
        Thread thread =
            new Thread(
                () -> {
                  try {
                    run(owned, random, stop::get);
                  } catch (Throwable e) {
                    crashes.add(e);
                  }
                },
                "cluster-load-" + t);
        thread.setDaemon(true);
        threads.add(thread);
      }
    }

    void start() {
      threads.forEach(Thread::start);
    }

    private void run(List<Task> owned, Random random, BooleanSupplier stopped) throws Exception {
      List<Create> pending = new ArrayList<>();
      while (!stopped.getAsBoolean()) {
        int node = client.anyRunning();
        int choice = random.nextInt(100);
        if (!pending.isEmpty() && choice < 10) {
          Create retry = pending.remove(0);
          if (send(node, n -> client.create(retry, n)) && retry.taskId != null) {
            owned.add(ledger.tasks.get(retry.taskId));
          } else if (!retry.acknowledged()) {
            pending.add(retry);
          }
        } else if (owned.isEmpty() || choice < 25) {
          Create create = client.newCreate("load " + sequence.incrementAndGet());
          if (send(node, n -> client.create(create, n))) {
            owned.add(ledger.tasks.get(create.taskId));
          } else if (ClusterClient.retriable(create.statuses.get(create.statuses.size() - 1))
              || create.statuses.contains(409)) {
            pending.add(create); // unknown, or its key still in flight: retried with the same key
          }
        } else {
          Task task = owned.get(random.nextInt(owned.size()));
          String title = "load " + task.id.substring(0, 8) + " r" + sequence.incrementAndGet();
          send(node, n -> client.rename(task, title, n));
        }
        Thread.sleep(random.nextInt((int) pauseMillis + 1)); // pacing, not a synchronization
      }
    }

    /** One request (with the retry policy when retrying); whether it was acknowledged. */
    private boolean send(int node, ClusterClient.Attempt attempt) throws InterruptedException {
      Browser.Answer a = retrying ? client.withRetries(node, attempt) : attempt.send(node);
      int status = ClusterClient.status(a);
      if (ClusterLedger.acknowledged(status)) {
        acknowledged.incrementAndGet();
        return true;
      }
      if (retrying) {
        failures.add("after " + ClusterClient.MAX_ATTEMPTS + " attempts: " + a);
      }
      return false;
    }

    void stopAndCheck() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(Duration.ofSeconds(120).toMillis());
        assertThat(t.isAlive()).as("%s ends once stopped", t.getName()).isFalse();
      }
      if (!crashes.isEmpty()) {
        throw new AssertionError("the load failed: " + crashes.get(0), crashes.get(0));
      }
    }

    @Override
    public void close() {
      stop.set(true);
    }
  }

  private void awaitAcknowledged(Load load, int atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + CONVERGE.toNanos();
    while (load.acknowledged.get() < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the load had "
                + load.acknowledged
                + " acknowledged requests, not "
                + atLeast
                + ", after "
                + CONVERGE
                + " ("
                + ledger
                + ")"
                + nodes.tails(40));
      }
      Thread.sleep(100);
    }
  }

  // Checks -------------------------------------------------------------------------------------

  /** Retries every create that got no 201, with its key and body: each key must be one task. */
  private void resolveCreates() throws InterruptedException {
    for (Create create : ledger.unresolved()) {
      long deadline = System.nanoTime() + CONVERGE.toNanos();
      Browser.Answer a = null;
      while (!create.acknowledged() && System.nanoTime() < deadline) {
        a = client.withRetries(client.anyRunning(), n -> client.create(create, n));
        if (!create.acknowledged()) {
          Thread.sleep(500); // a key still in flight (409) is released when its request ends
        }
      }
      assertThat(create.acknowledged())
          .as("the retry of create %s (answers %s), last: %s", create.key, create.statuses, a)
          .isTrue();
    }
  }

  /**
   * The organization lists exactly one task per idempotency key the client ever used (awaited: the
   * organization applies task summaries in batches, after the tasks themselves).
   */
  private void tasksExistExactlyOnce() throws InterruptedException {
    Set<String> expected = new TreeSet<>();
    ledger.creates.values().forEach(c -> expected.add(c.taskId));
    long deadline = System.nanoTime() + CONVERGE.toNanos();
    List<String> listed = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      listed.clear();
      client.listTasks().forEach(t -> listed.add(t.path("id").asText()));
      if (listed.size() == expected.size() && new TreeSet<>(listed).equals(expected)) {
        return;
      }
      Thread.sleep(250);
    }
    assertThat(listed).as("no task listed twice").doesNotHaveDuplicates();
    assertThat(new TreeSet<>(listed))
        .as("the tasks are exactly those of the %d idempotency keys", ledger.creates.size())
        .isEqualTo(expected);
  }

  /**
   * Every task's title, as its own actor answers it (the task detail, read through some node), is
   * its last acknowledged rename's, or one attempted after it.
   */
  private void titlesAreAllowed() throws InterruptedException {
    List<String> wrong = new ArrayList<>();
    for (Task task : ledger.tasks.values()) {
      Browser.Answer a =
          client.withRetries(
              client.anyRunning(), n -> client.send(n, "GET", client.taskPath(task.id), null));
      assertThat(ClusterClient.status(a)).as("task %s: %s", task.id, a).isEqualTo(200);
      String title = a.json().path("title").asText();
      if (!task.allowedTitles().contains(title)) {
        wrong.add(
            task.id
                + " is titled "
                + title
                + ", allowed "
                + task.allowedTitles()
                + ", renames "
                + task.renames);
      }
    }
    assertThat(wrong).as("tasks with a title no acknowledgement allows").isEmpty();
  }

  /** No task actor is listed as running on two nodes: one writer per actor. */
  private void everyTaskRunsOnAtMostOneNode() {
    Map<String, Integer> where = new HashMap<>();
    List<String> twice = new ArrayList<>();
    for (int i : nodes.running()) {
      for (String actor : taskActors(i)) {
        Integer before = where.put(actor, i);
        if (before != null) {
          twice.add(actor + " on nodes " + before + " and " + i);
        }
      }
    }
    assertThat(twice).as("actors running on two nodes at once").isEmpty();
  }

  private List<String> taskActors(int node) {
    return nodes.actors(node).stream().filter(a -> a.startsWith("task|")).toList();
  }

  /**
   * The ids of the ledger's tasks whose actors run on {@code node} now; asked again for a few
   * seconds while there are none (a node answers an empty list while its shard regions do not).
   */
  private Set<String> tasksOn(int node) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    Set<String> ids = new TreeSet<>();
    do {
      Set<String> actors = new HashSet<>(nodes.actors(node));
      for (Task task : ledger.tasks.values()) {
        if (actors.contains(persistenceId(task.id))) {
          ids.add(task.id);
        }
      }
      if (!ids.isEmpty()) {
        return ids;
      }
      Thread.sleep(250);
    } while (System.nanoTime() < deadline);
    return ids;
  }

  private String persistenceId(String taskId) {
    return TaskProtocol.TYPE.name() + "|" + TaskProtocol.key(org, repoId, taskId).canonical();
  }

  private static java.util.function.Predicate<JsonNode> snapshotOf(String topic, String id) {
    return f ->
        "snapshot".equals(f.path("type").asText())
            && topic.equals(f.path("topic").asText())
            && id.equals(f.path("id").asText());
  }

  private static boolean isEvent(JsonNode f, String topic, String id, String event) {
    return "event".equals(f.path("type").asText())
        && topic.equals(f.path("topic").asText())
        && id.equals(f.path("id").asText())
        && event.equals(f.path("event").asText());
  }
}
