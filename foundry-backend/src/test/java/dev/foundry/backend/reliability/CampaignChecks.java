package dev.foundry.backend.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.reliability.CampaignLedger.Create;
import dev.foundry.backend.reliability.CampaignLedger.Message;
import dev.foundry.backend.reliability.CampaignLedger.StartedProcess;
import dev.foundry.backend.reliability.CampaignLedger.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.sqlite.SQLiteConfig;

/**
 * What must hold after every restart, judged against the client's ledger through the public API
 * (and the data directory's SQLite files, read-only): acknowledged commands applied exactly once,
 * organization summaries equal to their tasks, no session left running without a turn, the outbox
 * drained, and sandbox processes exactly where live tasks need them. Each condition that settles
 * asynchronously is awaited within a bound; past it, the check fails with what it last saw.
 */
final class CampaignChecks {
  private static final Duration SETTLE = Duration.ofSeconds(90);
  private static final Duration CONVERGE = Duration.ofSeconds(30);

  private final Browser alice;
  private final String base;
  private final String org;
  private final CampaignLedger ledger;
  private final CampaignLoad load;
  private final SandboxProcessScan scan;
  private final Path dataDir;

  CampaignChecks(
      Browser alice,
      String base,
      String org,
      CampaignLedger ledger,
      CampaignLoad load,
      SandboxProcessScan scan,
      Path dataDir) {
    this.alice = alice;
    this.base = base;
    this.org = org;
    this.ledger = ledger;
    this.load = load;
    this.scan = scan;
    this.dataDir = dataDir;
  }

  /** Every check; {@code probeAll} sends a message to every live task instead of one. */
  void afterRestart(int round, Random random, boolean probeAll) throws Exception {
    Steps steps = new Steps();
    steps.run("creates", this::resolveCreates);
    Map<String, JsonNode> details = new TreeMap<>();
    steps.run("settled", () -> details.putAll(settled()));
    steps.run("tasks", this::tasksExistExactlyOnce);
    steps.run("summaries", this::summariesEqualTasks);
    steps.run("renames", () -> renamesAndArchivesApplied(details));
    steps.run("messages", () -> messagesAppliedOnce(details));
    steps.run("processes", () -> startedProcessesStillRun(details));
    steps.run("sandboxes", this::sandboxesBelongToLiveTasks);
    steps.run("kept", () -> liveTasksKeepTheirSandboxes(details));
    steps.run("probe", () -> liveSandboxesAnswer(round, random, probeAll, details));
    steps.run("outbox", this::outboxDrained);
    steps.run("realtime", this::realtimeSnapshotEqualsRest);
    System.out.println("kill campaign: round " + round + ": checks (ms) " + steps.millis);
  }

  /** The checks of one round in order, each with how long it took (where a slow round waited). */
  private static final class Steps {
    final Map<String, Long> millis = new java.util.LinkedHashMap<>();

    interface Step {
      void run() throws Exception;
    }

    void run(String name, Step step) throws Exception {
      long started = System.nanoTime();
      try {
        step.run();
      } finally {
        millis.put(name, (System.nanoTime() - started) / 1_000_000);
      }
    }
  }

  /** After the server stopped for good: no undelivered outbox row, no pending queue. */
  void outboxDrainedOnDisk() throws Exception {
    String problem = outboxProblem();
    if (problem != null) {
      throw new AssertionError("after the final stop: " + problem);
    }
  }

  // Creates: every key answers one task, and the organization has exactly those tasks ----------

  /** Retries every create that got no 201 with the same key and body: each key → one task. */
  private void resolveCreates() throws Exception {
    for (Create create : ledger.unresolved()) {
      within(
          CONVERGE,
          "retry of create " + create.key,
          () -> {
            Browser.Answer a = load.create(create);
            return a != null && a.status() == 201 ? null : "answered " + a;
          });
    }
  }

  private void tasksExistExactlyOnce() {
    Set<String> expected = new TreeSet<>();
    ledger.creates.values().forEach(c -> expected.add(c.taskId));
    Browser.Answer a = ok(alice.get(orgPath("/tasks")));
    List<String> listed = new ArrayList<>();
    a.json().forEach(t -> listed.add(t.path("id").asText()));
    if (listed.size() != new HashSet<>(listed).size()) {
      throw new AssertionError("a task is listed twice: " + listed);
    }
    if (!new TreeSet<>(listed).equals(expected)) {
      throw new AssertionError(
          "tasks of the organization "
              + new TreeSet<>(listed)
              + " are not exactly those of the "
              + ledger.creates.size()
              + " idempotency keys "
              + expected);
    }
  }

  // Settling: no session running without a turn, no task stuck in a transient status ----------

  private Map<String, JsonNode> settled() throws Exception {
    Map<String, JsonNode> details = new TreeMap<>();
    within(
        SETTLE,
        "every task settles (no queued work, no session left running, no status in between)",
        () -> {
          // Commands accepted before the kill but unanswered resume after the restart (a message
          // may start its turn now): judge the sessions once every queue and outbox is empty.
          String queued = outboxProblem();
          if (queued != null) {
            return queued;
          }
          details.clear();
          for (Task task : List.copyOf(ledger.tasks.values())) {
            JsonNode d = ok(alice.get(taskPath(task.id))).json();
            details.put(task.id, d);
            String status = d.path("status").asText();
            boolean between =
                status.startsWith("init_")
                    || status.equals("running")
                    || (status.startsWith("archive_") && !status.equals("archived"))
                    || (status.startsWith("kill_") && !status.equals("killed"));
            if (between) {
              return "task " + task.id + " is " + status + ": " + d.path("sessionsSummary");
            }
            for (JsonNode s : d.path("sessionsSummary")) {
              String st = s.path("status").asText();
              if (st.equals("running")
                  || st.startsWith("pending_")
                  || !s.path("thinkingSinceMs").isNull()) {
                return "session " + s.path("id").asText() + " of task " + task.id + " is " + s;
              }
            }
          }
          return null;
        });
    return details;
  }

  // Summaries: the organization's view of each task equals the task's own --------------------

  private void summariesEqualTasks() throws Exception {
    within(
        CONVERGE,
        "the organization summary equals its tasks",
        () -> {
          JsonNode summary = ok(alice.get(orgPath(""))).json();
          Map<String, JsonNode> byId = new HashMap<>();
          summary.path("taskSummaries").forEach(s -> byId.put(s.path("id").asText(), s));
          for (Task task : List.copyOf(ledger.tasks.values())) {
            JsonNode s = byId.get(task.id);
            JsonNode d = ok(alice.get(taskPath(task.id))).json();
            if (s == null) {
              return "task " + task.id + " is missing from the summary";
            }
            for (String field : List.of("title", "status", "branch")) {
              if (!s.path(field).asText().equals(d.path(field).asText())) {
                return "task "
                    + task.id
                    + " "
                    + field
                    + ": summary says "
                    + s.path(field)
                    + ", task says "
                    + d.path(field);
              }
            }
          }
          if (byId.size() != ledger.tasks.size()) {
            return "summary lists "
                + byId.keySet()
                + ", the campaign made "
                + ledger.tasks.keySet();
          }
          return null;
        });
  }

  // Renames and archives -----------------------------------------------------------------------

  private void renamesAndArchivesApplied(Map<String, JsonNode> details) {
    for (Task task : ledger.tasks.values()) {
      JsonNode d = details.get(task.id);
      String title = d.path("title").asText();
      List<String> allowed = task.allowedTitles();
      if (!allowed.contains(title)) {
        throw new AssertionError(
            "task "
                + task.id
                + " is titled '"
                + title
                + "'; after its renames "
                + task.renames
                + " it may only be one of "
                + allowed);
      }
      if (task.archiveAcknowledged && !d.path("status").asText().equals("archived")) {
        throw new AssertionError(
            "task " + task.id + " had its archive acknowledged but is " + d.path("status"));
      }
    }
  }

  // Messages: an acknowledged one is in the transcript once, a refused one not at all ----------

  private void messagesAppliedOnce(Map<String, JsonNode> details) {
    Map<String, JsonNode> transcripts = new HashMap<>();
    for (Message m : ledger.messages) {
      if (m.marker() == null) {
        continue;
      }
      JsonNode transcript =
          transcripts.computeIfAbsent(
              m.sessionId(),
              id ->
                  ok(alice.get(taskPath(m.taskId()) + "/sessions/" + id))
                      .json()
                      .path("transcript"));
      int seen = 0;
      for (JsonNode e : transcript) {
        if ("client".equals(e.path("sender").asText())
            && e.path("payload").toString().contains(m.marker())) {
          seen++;
        }
      }
      boolean ok =
          CampaignLedger.acknowledged(m.status())
              ? seen == 1
              : CampaignLedger.refused(m.status()) ? seen == 0 : seen <= 1;
      if (!ok) {
        throw new AssertionError(
            "message "
                + m.marker()
                + " (answered "
                + m.status()
                + ", round "
                + m.round()
                + ") is "
                + seen
                + " times in the transcript of session "
                + m.sessionId()
                + " of task "
                + m.taskId());
      }
    }
  }

  // Processes: an acknowledged start still runs while its task lives -----------------------------

  private void startedProcessesStillRun(Map<String, JsonNode> details) throws Exception {
    Map<String, List<String>> byTask = new TreeMap<>();
    for (StartedProcess p : ledger.processes) {
      if (live(details.get(p.taskId()))) {
        byTask.computeIfAbsent(p.taskId(), k -> new ArrayList<>()).add(p.processId());
      }
    }
    for (var entry : byTask.entrySet()) {
      within(
          CONVERGE,
          "the processes started in task " + entry.getKey() + " still run",
          () -> {
            Browser.Answer a = alice.get(taskPath(entry.getKey()) + "/sandbox/processes");
            if (a.status() != 200) {
              return "answered " + a;
            }
            Map<String, String> status = new HashMap<>();
            a.json().forEach(p -> status.put(p.path("id").asText(), p.path("status").asText()));
            for (String id : entry.getValue()) {
              if (!"running".equals(status.get(id))) {
                return "process " + id + " is " + status.get(id) + " in " + a.json();
              }
            }
            return null;
          });
    }
  }

  // Sandboxes on the host ----------------------------------------------------------------------

  private void sandboxesBelongToLiveTasks() throws Exception {
    within(
        CONVERGE,
        "every sandbox process on the host belongs to a live task",
        () -> {
          Map<String, List<Long>> running = scan.live();
          for (var entry : running.entrySet()) {
            Task task = ledger.tasks.get(entry.getKey());
            if (task == null) {
              return "processes "
                  + entry.getValue()
                  + " of sandbox "
                  + entry.getKey()
                  + " have no task";
            }
            JsonNode d = ok(alice.get(taskPath(task.id))).json();
            if (!live(d)) {
              return "processes "
                  + entry.getValue()
                  + " of sandbox "
                  + task.id
                  + " outlive their task, which is "
                  + d.path("status");
            }
          }
          return null;
        });
  }

  /** A live task that had a sandbox still has its server on the host. */
  private void liveTasksKeepTheirSandboxes(Map<String, JsonNode> details) {
    Map<String, List<Long>> running = scan.live();
    for (var entry : details.entrySet()) {
      JsonNode d = entry.getValue();
      if (live(d) && d.path("sandboxes").size() > 0 && !running.containsKey(entry.getKey())) {
        Browser.Answer sandbox = alice.get(taskPath(entry.getKey()) + "/sandbox");
        if (sandbox.status() == 200 && "running".equals(sandbox.json().path("state").asText())) {
          throw new AssertionError(
              "task "
                  + entry.getKey()
                  + "'s sandbox is running by its record ("
                  + sandbox.json()
                  + ") but has no process on the host");
        }
      }
    }
  }

  /** A live task's sandbox still works: a message gets the offline agent's answer. */
  private void liveSandboxesAnswer(
      int round, Random random, boolean probeAll, Map<String, JsonNode> details) throws Exception {
    List<String> candidates = new ArrayList<>();
    details.forEach(
        (id, d) -> {
          if (live(d) && d.path("sessionsSummary").size() > 0) {
            candidates.add(id);
          }
        });
    if (candidates.isEmpty()) {
      return;
    }
    List<String> probed =
        probeAll ? candidates : List.of(candidates.get(random.nextInt(candidates.size())));
    for (String taskId : probed) {
      String sessionId = details.get(taskId).path("sessionsSummary").path(0).path("id").asText();
      String marker = "probe" + round + "x" + taskId.substring(0, 8);
      String messages = taskPath(taskId) + "/sessions/" + sessionId + "/messages";
      int[] status = {CampaignLedger.NO_ANSWER};
      String[] answer = {null};
      within(
          CONVERGE,
          "a message to live task " + taskId + " is taken",
          () -> {
            Browser.Answer a = alice.post(messages, "{\"text\":\"probe " + marker + "\"}");
            status[0] = a.status();
            answer[0] = a.toString();
            // Only "not yet" answers are retried; anything else is judged below.
            return a.status() == 409 && "sandbox_not_attached".equals(a.errorCode())
                ? "answered " + a
                : null;
          });
      ledger.messages.add(new Message(taskId, sessionId, marker, status[0], round));
      if (status[0] != 202) {
        throw new AssertionError(
            "a message to live task " + taskId + " answered " + answer[0] + " instead of 202");
      }
      within(
          SETTLE,
          "the offline agent of task " + taskId + " answers " + marker,
          () -> {
            JsonNode s = ok(alice.get(taskPath(taskId) + "/sessions/" + sessionId)).json();
            for (JsonNode e : s.path("transcript")) {
              if ("agent".equals(e.path("sender").asText())
                  && e.path("payload").toString().contains(marker)
                  && !"running".equals(s.path("status").asText())) {
                return null;
              }
            }
            return "session is " + s.path("status") + " " + s.path("errorMessage");
          });
    }
  }

  // Outbox ---------------------------------------------------------------------------------------

  private void outboxDrained() throws Exception {
    within(CONVERGE, "the outbox drains", this::outboxProblem);
  }

  private String outboxProblem() throws SQLException, java.io.IOException {
    Path actors = dataDir.resolve("actors");
    List<Path> files;
    try (Stream<Path> walk = Files.walk(actors)) {
      files = walk.filter(p -> p.toString().endsWith(".db")).toList();
    }
    for (Path file : files) {
      long rows = count(file, "SELECT count(*) FROM _runtime_outbox");
      if (rows > 0) {
        return rows + " undelivered outbox rows in " + dataDir.relativize(file);
      }
    }
    Path pending = dataDir.resolve("runtime/pending-work.db");
    if (Files.exists(pending)) {
      long rows = count(pending, "SELECT count(*) FROM pending_work");
      if (rows > 0) {
        return rows
            + " actors still listed with pending work in "
            + dataDir.relativize(pending)
            + ": "
            + text(pending, "SELECT group_concat(persistence_id, ', ') FROM pending_work");
      }
    }
    return null;
  }

  private static String text(Path file, String sql) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    config.setBusyTimeout(5_000);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : "";
    }
  }

  private static long count(Path file, String sql) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    config.setBusyTimeout(5_000);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  // Realtime ------------------------------------------------------------------------------------

  private void realtimeSnapshotEqualsRest() throws Exception {
    within(
        CONVERGE,
        "the organization's realtime snapshot equals REST",
        () -> {
          try (RealtimeWatcher socket = RealtimeWatcher.open(base, alice.cookie())) {
            socket.subscribe("organization", org);
            JsonNode snapshot =
                socket.next(
                    f -> "snapshot".equals(f.path("type").asText()), Duration.ofSeconds(10));
            if (snapshot == null) {
              return "no snapshot within 10 s";
            }
            Map<String, String> overSocket = titlesAndStatuses(snapshot.path("payload"));
            Map<String, String> overRest = titlesAndStatuses(ok(alice.get(orgPath(""))).json());
            return overSocket.equals(overRest)
                ? null
                : "socket " + overSocket + " but REST " + overRest;
          }
        });
  }

  private static Map<String, String> titlesAndStatuses(JsonNode summary) {
    Map<String, String> m = new TreeMap<>();
    summary
        .path("taskSummaries")
        .forEach(
            s ->
                m.put(
                    s.path("id").asText(),
                    s.path("title").asText() + "|" + s.path("status").asText()));
    return m;
  }

  // Helpers --------------------------------------------------------------------------------------

  private static boolean live(JsonNode detail) {
    String status = detail == null ? "" : detail.path("status").asText();
    return !status.startsWith("archive") && !status.startsWith("kill");
  }

  private String orgPath(String rest) {
    return "/v1/organizations/" + org + rest;
  }

  private String taskPath(String taskId) {
    return orgPath("/tasks/" + taskId);
  }

  private static Browser.Answer ok(Browser.Answer a) {
    if (a.status() != 200) {
      throw new AssertionError("expected 200, got " + a);
    }
    return a;
  }

  /** Polls {@code problem} until it says null; fails with its last word after {@code bound}. */
  static void within(Duration bound, String what, Callable<String> problem) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    String last;
    while (true) {
      last = problem.call();
      if (last == null) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " within " + bound + ": " + last);
      }
      Thread.sleep(200);
    }
  }
}
