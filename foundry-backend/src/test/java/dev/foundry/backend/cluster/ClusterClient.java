package dev.foundry.backend.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.foundry.backend.cluster.ClusterLedger.Create;
import dev.foundry.backend.cluster.ClusterLedger.Rename;
import dev.foundry.backend.cluster.ClusterLedger.Task;
import dev.foundry.backend.http.Browser;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One signed-in user's client of the whole cluster: the same session cookie on every node (sessions
 * are durable actors, so any node knows it), each request to the node the caller names, and every
 * answer in the {@link ClusterLedger}.
 *
 * <p>The retry policy a client of a cluster is told to follow: an answer {@code 502}, {@code 503}
 * or {@code 504}, or none at all (a refused or broken connection, a timeout), is retried on the
 * next running node, at most {@link #MAX_ATTEMPTS} times in all, waiting a little longer before
 * each; creates keep their {@code Idempotency-Key}. Anything else is the answer.
 */
final class ClusterClient {
  static final int MAX_ATTEMPTS = 6;

  /** Above the nodes' command timeout, so a node answers 504 before the client gives up. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(25);

  private final ClusterNodes nodes;
  private final String cookie;
  private final String org;
  private final String repoId;
  private final ClusterLedger ledger;
  private final AtomicInteger retries = new AtomicInteger();

  ClusterClient(
      ClusterNodes nodes, String cookie, String org, String repoId, ClusterLedger ledger) {
    this.nodes = nodes;
    this.cookie = cookie;
    this.org = org;
    this.repoId = repoId;
    this.ledger = ledger;
  }

  String org() {
    return org;
  }

  String cookie() {
    return cookie;
  }

  /** How many retries {@link #withRetries} made so far. */
  int retries() {
    return retries.get();
  }

  static int status(Browser.Answer a) {
    return a == null ? ClusterLedger.NO_ANSWER : a.status();
  }

  static boolean retriable(int status) {
    return status == ClusterLedger.NO_ANSWER || status == 502 || status == 503 || status == 504;
  }

  /** One request to {@code node}; null when no answer came (or the node does not run now). */
  Browser.Answer send(int node, String method, String path, String body, String... headers) {
    Browser.Answer a;
    try {
      a =
          new Browser(nodes.base(node))
              .withCookie(cookie)
              .withTimeout(REQUEST_TIMEOUT)
              .send(method, path, body, body == null ? null : "application/json", headers);
    } catch (IllegalStateException e) {
      a = null; // refused, broken or timed out; or the node is not running
    }
    ledger.count(status(a));
    return a;
  }

  /** A new create with its own key and title, recorded in the ledger before it is sent. */
  Create newCreate(String title) {
    String key = "cluster-" + title.replace(' ', '-');
    String body =
        "{\"repoId\":\""
            + repoId
            + "\",\"task\":"
            + TextNode.valueOf("cluster task " + title)
            + ",\"title\":"
            + TextNode.valueOf(title)
            + "}";
    Create create = new Create(key, title, body);
    ledger.creates.put(key, create);
    return create;
  }

  /** One attempt of {@code create} on {@code node}; a 201 resolves it to its task. */
  Browser.Answer create(Create create, int node) {
    Browser.Answer a =
        send(node, "POST", orgPath("/tasks"), create.body, "Idempotency-Key", create.key);
    create.statuses.add(status(a));
    if (status(a) == 201) {
      String id = a.json().path("id").asText();
      String earlier = create.taskId;
      if (earlier != null && !earlier.equals(id)) {
        throw new AssertionError(
            "idempotency key " + create.key + " answered task " + id + " after task " + earlier);
      }
      create.taskId = id;
      ledger.task(id, a.json().path("title").asText());
    }
    return a;
  }

  /** One attempt of a rename on {@code node}, recorded in the task's renames. */
  Browser.Answer rename(Task task, String title, int node) {
    Browser.Answer a =
        send(node, "PATCH", taskPath(task.id), "{\"title\":" + TextNode.valueOf(title) + "}");
    task.renames.add(new Rename(title, node, status(a)));
    return a;
  }

  /** A request the retry policy way, starting on {@code firstNode}; the last answer or null. */
  Browser.Answer withRetries(int firstNode, Attempt attempt) throws InterruptedException {
    Browser.Answer a = null;
    int node = firstNode;
    for (int i = 0; i < MAX_ATTEMPTS; i++) {
      if (i > 0) {
        retries.incrementAndGet();
        Thread.sleep(Math.min(2000, 250L * i)); // a backoff, not a synchronization
        node = nextRunning(node);
      }
      a = attempt.send(node);
      if (!retriable(status(a))) {
        return a;
      }
    }
    return a;
  }

  /** One attempt of a request on a node. */
  interface Attempt {
    Browser.Answer send(int node);
  }

  /** Task summaries as listed by some running node (retried until one answers 200). */
  JsonNode listTasks() throws InterruptedException {
    Browser.Answer a = withRetries(anyRunning(), n -> send(n, "GET", orgPath("/tasks"), null));
    if (status(a) != 200) {
      throw new AssertionError("GET tasks answered " + a);
    }
    return a.json();
  }

  String orgPath(String rest) {
    return "/v1/organizations/" + org + rest;
  }

  String taskPath(String taskId) {
    return orgPath("/tasks/" + taskId);
  }

  int anyRunning() {
    List<Integer> running = nodes.running();
    if (running.isEmpty()) {
      throw new IllegalStateException("no node runs");
    }
    return running.get((int) (Math.random() * running.size()));
  }

  /** The next running node after {@code node}, in index order (itself when it is the only one). */
  int nextRunning(int node) {
    for (int step = 1; step <= nodes.size(); step++) {
      int candidate = (node + step) % nodes.size();
      if (nodes.isRunning(candidate)) {
        return candidate;
      }
    }
    return node;
  }
}
