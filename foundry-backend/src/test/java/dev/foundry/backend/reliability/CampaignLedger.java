package dev.foundry.backend.reliability;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The client's bookkeeping: every request the campaign sent and what came back. "Acknowledged"
 * means a 2xx was received; "refused" a definitive 4xx (the request changed nothing); "unknown" no
 * answer (the server died) or a 5xx. The checks judge the server's state against this ledger.
 */
final class CampaignLedger {
  /** No answer at all: the connection broke (the server was killed) or timed out. */
  static final int NO_ANSWER = -1;

  /** One creating request with its idempotency key, resolved to a task once a 201 is seen. */
  static final class Create {
    final String key;
    final String body;
    final List<Integer> statuses = new CopyOnWriteArrayList<>();
    volatile String taskId;
    volatile boolean acknowledged;

    Create(String key, String body) {
      this.key = key;
      this.body = body;
    }
  }

  /** A rename attempt, in the order it was sent (one client thread sends them in sequence). */
  record Rename(String title, int status) {}

  /** A message with a unique marker in its text, or a {@code /slow} turn (marker null). */
  record Message(String taskId, String sessionId, String marker, int status, int round) {}

  /** A process started in a task's sandbox. */
  record StartedProcess(String taskId, String processId) {}

  /** What the campaign did to one task. */
  static final class Task {
    final String id;
    volatile String initialTitle;
    volatile String sessionId;
    final List<Rename> renames = new CopyOnWriteArrayList<>();
    volatile boolean archiveSent;
    volatile boolean archiveAcknowledged;
    volatile int ownerChangesAcknowledged;

    Task(String id, String initialTitle) {
      this.id = id;
      this.initialTitle = initialTitle;
    }

    /** Titles the task may carry now: the last acknowledged rename's, or a later attempt's. */
    List<String> allowedTitles() {
      List<String> allowed = new ArrayList<>();
      int lastAcked = -1;
      for (int i = 0; i < renames.size(); i++) {
        if (acknowledged(renames.get(i).status())) {
          lastAcked = i;
        }
      }
      if (lastAcked < 0) {
        allowed.add(initialTitle);
      }
      for (int i = Math.max(lastAcked, 0); i < renames.size(); i++) {
        Rename r = renames.get(i);
        if (i == lastAcked || r.status() == NO_ANSWER || r.status() >= 500) {
          allowed.add(r.title());
        }
      }
      return allowed;
    }
  }

  final Map<String, Create> creates = new LinkedHashMap<>();
  final Map<String, Task> tasks = new LinkedHashMap<>();
  final List<Message> messages = new CopyOnWriteArrayList<>();
  final List<StartedProcess> processes = new CopyOnWriteArrayList<>();
  int requests;
  int acknowledgedRequests;
  int unanswered;

  static boolean acknowledged(int status) {
    return status >= 200 && status < 300;
  }

  static boolean refused(int status) {
    return status >= 400 && status < 500;
  }

  synchronized void count(int status) {
    requests++;
    if (acknowledged(status)) {
      acknowledgedRequests++;
    } else if (status == NO_ANSWER) {
      unanswered++;
    }
  }

  synchronized Task task(String id, String title) {
    return tasks.computeIfAbsent(id, k -> new Task(id, title));
  }

  /** Tasks the load may still act on: known and no archive sent. */
  synchronized List<Task> live() {
    return tasks.values().stream().filter(t -> !t.archiveSent).toList();
  }

  synchronized List<Create> unresolved() {
    return creates.values().stream().filter(c -> c.taskId == null).toList();
  }
}
