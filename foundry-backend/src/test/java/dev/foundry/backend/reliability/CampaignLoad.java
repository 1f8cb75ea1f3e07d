package dev.foundry.backend.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.reliability.CampaignLedger.Create;
import dev.foundry.backend.reliability.CampaignLedger.Message;
import dev.foundry.backend.reliability.CampaignLedger.Rename;
import dev.foundry.backend.reliability.CampaignLedger.StartedProcess;
import dev.foundry.backend.reliability.CampaignLedger.Task;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The mixed client load of one round, over REST: creates with idempotency keys, renames, messages
 * to the offline agent (some of them {@code /slow} turns), owner changes, archives and process
 * starts, chosen by a seeded {@link Random}. Every request and its answer go into the ledger; a
 * request the kill cuts off is recorded as unanswered.
 */
final class CampaignLoad {
  /** At most this many tasks are live at once: each holds a sandbox (and an agent JVM). */
  static final int MAX_LIVE_TASKS = 4;

  private final Browser alice;
  private final String org;
  private final String repoId;
  private final String ownerId;
  private final CampaignLedger ledger;
  private final AtomicInteger sequence;

  CampaignLoad(
      Browser alice,
      String org,
      String repoId,
      String ownerId,
      CampaignLedger ledger,
      AtomicInteger sequence) {
    this.alice = alice;
    this.org = org;
    this.repoId = repoId;
    this.ownerId = ownerId;
    this.ledger = ledger;
    this.sequence = sequence;
  }

  /** Sends requests until {@code stop} says so (the server was killed). */
  void run(Random random, int round, BooleanSupplier stop) {
    while (!stop.getAsBoolean()) {
      List<Task> live = ledger.live();
      int choice = random.nextInt(100);
      if (live.isEmpty() || (choice < 15 && live.size() < MAX_LIVE_TASKS)) {
        create();
        continue;
      }
      Task task = live.get(random.nextInt(live.size()));
      if (choice < 40) {
        rename(task);
      } else if (choice < 70) {
        message(task, random.nextInt(3) == 0 ? "/slow " + (5 + random.nextInt(20)) : null, round);
      } else if (choice < 78) {
        changeOwner(task);
      } else if (choice < 86) {
        if (live.size() >= 3) {
          archive(task);
        } else {
          rename(task);
        }
      } else if (choice < 94) {
        startProcess(task);
      } else {
        answer("GET", orgPath(""), null);
      }
    }
  }

  /** A create, first sent or retried with the same key and body. */
  Browser.Answer create(Create create) {
    Browser.Answer a =
        answer("POST", orgPath("/tasks"), create.body, "Idempotency-Key", create.key);
    int status = status(a);
    create.statuses.add(status);
    if (status == 201) {
      String id = a.json().path("id").asText();
      if (create.taskId != null && !create.taskId.equals(id)) {
        throw new AssertionError(
            "idempotency key "
                + create.key
                + " answered task "
                + id
                + " after task "
                + create.taskId);
      }
      create.taskId = id;
      create.acknowledged = true;
      ledger.task(id, a.json().path("title").asText());
    }
    return a;
  }

  private void create() {
    int n = sequence.incrementAndGet();
    String key = "kill-campaign-" + n;
    String body =
        "{\"repoId\":\""
            + repoId
            + "\",\"task\":\"kill campaign task "
            + n
            + "\",\"title\":\"kc "
            + n
            + "\"}";
    Create create = new Create(key, body);
    synchronized (ledger) {
      ledger.creates.put(key, create);
    }
    create(create);
  }

  private void rename(Task task) {
    String title = "kc " + task.id.substring(0, 8) + " r" + sequence.incrementAndGet();
    Browser.Answer a =
        answer("PATCH", taskPath(task), "{\"title\":" + TextNode.valueOf(title) + "}");
    task.renames.add(new Rename(title, status(a)));
  }

  private void message(Task task, String slow, int round) {
    if (task.sessionId == null) {
      Browser.Answer detail = answer("GET", taskPath(task), null);
      if (status(detail) != 200) {
        return;
      }
      JsonNode first = detail.json().path("sessionsSummary").path(0);
      if (first.isMissingNode()) {
        return; // the first session is not open yet
      }
      task.sessionId = first.path("id").asText();
    }
    String marker = slow == null ? "m" + sequence.incrementAndGet() + "x" : null;
    String text = slow == null ? "campaign " + marker : slow;
    Browser.Answer a =
        answer(
            "POST",
            taskPath(task) + "/sessions/" + task.sessionId + "/messages",
            "{\"text\":" + TextNode.valueOf(text) + "}");
    ledger.messages.add(new Message(task.id, task.sessionId, marker, status(a), round));
  }

  private void changeOwner(Task task) {
    Browser.Answer a = answer("PUT", taskPath(task) + "/owner", "{\"userId\":\"" + ownerId + "\"}");
    if (CampaignLedger.acknowledged(status(a))) {
      task.ownerChangesAcknowledged++;
    }
  }

  private void archive(Task task) {
    task.archiveSent = true;
    Browser.Answer a = answer("POST", taskPath(task) + "/archive", null);
    task.archiveAcknowledged = CampaignLedger.acknowledged(status(a));
  }

  private void startProcess(Task task) {
    Browser.Answer a =
        answer(
            "POST",
            taskPath(task) + "/sandbox/processes",
            "{\"command\":\"sh\",\"args\":[\"-c\",\"sleep 600\"]}");
    if (status(a) == 201) {
      ledger.processes.add(new StartedProcess(task.id, a.json().path("id").asText()));
    }
  }

  private String orgPath(String rest) {
    return "/v1/organizations/" + org + rest;
  }

  private String taskPath(Task task) {
    return orgPath("/tasks/" + task.id);
  }

  private static int status(Browser.Answer a) {
    return a == null ? CampaignLedger.NO_ANSWER : a.status();
  }

  /** One request; null when no answer came (the server died under it). */
  private Browser.Answer answer(String method, String path, String body, String... headers) {
    Browser.Answer a;
    try {
      a = alice.send(method, path, body, body == null ? null : "application/json", headers);
    } catch (IllegalStateException e) {
      a = null;
    }
    ledger.count(status(a));
    return a;
  }
}
