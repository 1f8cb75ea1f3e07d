package dev.foundry.backend.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the cluster tests' clients sent and what came back, whichever node answered: "acknowledged"
 * is a 2xx; "unknown" no answer (a killed node, a refused or broken connection, a client timeout)
 * or a 5xx, after which the command may or may not have been applied; any other answer is a refusal
 * that changed nothing. The checks judge the cluster's state against it.
 */
final class ClusterLedger {
  /** No answer at all. */
  static final int NO_ANSWER = -1;

  static boolean acknowledged(int status) {
    return status >= 200 && status < 300;
  }

  static boolean unknown(int status) {
    return status == NO_ANSWER || status >= 500;
  }

  /** One creating request with its idempotency key; resolved to a task once a 201 is seen. */
  static final class Create {
    final String key;
    final String title;
    final String body;
    final List<Integer> statuses = new CopyOnWriteArrayList<>();
    volatile String taskId;

    Create(String key, String title, String body) {
      this.key = key;
      this.title = title;
      this.body = body;
    }

    boolean acknowledged() {
      return taskId != null;
    }
  }

  /** A rename attempt and the node it went to, in the order its one client sent them. */
  record Rename(String title, int node, int status) {}

  /** A task and its renames; only one client thread at a time renames a given task. */
  static final class Task {
    final String id;
    final String initialTitle;
    final List<Rename> renames = new CopyOnWriteArrayList<>();

    Task(String id, String initialTitle) {
      this.id = id;
      this.initialTitle = initialTitle;
    }

    /**
     * Titles the task may carry now: its last acknowledged rename's, or one attempted after it
     * whose outcome is unknown. Never an older one: that would be an acknowledged rename lost, or
     * an older command applied after a newer one was acknowledged.
     */
    List<String> allowedTitles() {
      int lastAcknowledged = -1;
      for (int i = 0; i < renames.size(); i++) {
        if (acknowledged(renames.get(i).status())) {
          lastAcknowledged = i;
        }
      }
      List<String> allowed = new ArrayList<>();
      if (lastAcknowledged < 0) {
        allowed.add(initialTitle);
      }
      for (int i = Math.max(lastAcknowledged, 0); i < renames.size(); i++) {
        Rename r = renames.get(i);
        if (i == lastAcknowledged || unknown(r.status())) {
          allowed.add(r.title());
        }
      }
      return allowed;
    }
  }

  final Map<String, Create> creates = new ConcurrentHashMap<>();
  final Map<String, Task> tasks = new ConcurrentHashMap<>();
  final AtomicInteger requests = new AtomicInteger();
  final AtomicInteger acknowledgedRequests = new AtomicInteger();
  final AtomicInteger unanswered = new AtomicInteger();

  /** How many answers of each status (NO_ANSWER included), for the run's summary. */
  final Map<Integer, AtomicInteger> statuses = new ConcurrentSkipListMap<>();

  void count(int status) {
    statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
    requests.incrementAndGet();
    if (acknowledged(status)) {
      acknowledgedRequests.incrementAndGet();
    } else if (status == NO_ANSWER) {
      unanswered.incrementAndGet();
    }
  }

  Task task(String id, String initialTitle) {
    return tasks.computeIfAbsent(id, i -> new Task(i, initialTitle));
  }

  Collection<Create> unresolved() {
    return creates.values().stream().filter(c -> !c.acknowledged()).toList();
  }

  @Override
  public String toString() {
    return requests
        + " requests, "
        + acknowledgedRequests
        + " acknowledged, "
        + unanswered
        + " unanswered; "
        + creates.size()
        + " creates, "
        + tasks.size()
        + " tasks; answers by status "
        + statuses;
  }
}
