package dev.foundry.backend.http.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a client keeps of one organization topic, built only as docs/realtime.md says a client does
 * it (the same rules as the console's {@code organization.js}): the snapshot, replaced by {@code
 * organizationUpdated}, and each task's {@code taskSummaryUpdated} / {@code taskSummaryRemoved}
 * applied to the task list, from which the repositories' task counts and activity and the open pull
 * requests are derived again.
 */
final class OrganizationReplica {
  private ObjectNode state;

  JsonNode state() {
    return state;
  }

  /** Applies one frame of the topic (a snapshot or an event). */
  void apply(JsonNode frame) {
    String type = frame.path("type").asText();
    JsonNode payload = frame.get("payload");
    if (type.equals("snapshot")) {
      state = payload.deepCopy();
      return;
    }
    if (!type.equals("event")) {
      throw new AssertionError("not a frame of the topic: " + frame);
    }
    switch (frame.path("event").asText()) {
      case "organizationUpdated" -> state = payload.deepCopy();
      case "taskSummaryUpdated" -> {
        List<JsonNode> tasks = withoutTask(payload.path("id").asText());
        tasks.add(payload.deepCopy());
        derive(tasks);
      }
      case "taskSummaryRemoved" -> derive(withoutTask(payload.path("taskId").asText()));
      default -> throw new AssertionError("unknown event " + frame);
    }
  }

  private List<JsonNode> withoutTask(String taskId) {
    List<JsonNode> tasks = new ArrayList<>();
    for (JsonNode t : state.withArray("taskSummaries")) {
      if (!t.path("id").asText().equals(taskId)) {
        tasks.add(t);
      }
    }
    return tasks;
  }

  /** The task list in the snapshot's order, and what the snapshot derives from it. */
  private void derive(List<JsonNode> tasks) {
    tasks.sort(
        Comparator.<JsonNode>comparingLong(t -> -t.path("updatedAtMs").asLong())
            .thenComparing(t -> t.path("id").asText()));
    ArrayNode list = state.putArray("taskSummaries");
    tasks.forEach(list::add);

    List<ObjectNode> repos = new ArrayList<>();
    for (JsonNode r : state.withArray("repos")) {
      ObjectNode repo = r.deepCopy();
      List<JsonNode> own =
          tasks.stream()
              .filter(t -> t.path("repoId").asText().equals(repo.path("id").asText()))
              .toList();
      repo.put("taskCount", own.size());
      // With no task left the repository shows its own activity, which only the server knows:
      // the server then sends the whole organization instead.
      own.stream()
          .max(Comparator.comparingLong(t -> t.path("updatedAtMs").asLong()))
          .ifPresent(t -> repo.set("latestActivityMs", t.get("updatedAtMs")));
      repos.add(repo);
    }
    repos.sort(
        Comparator.<ObjectNode>comparingLong(r -> -r.path("latestActivityMs").asLong())
            .thenComparing(r -> r.path("label").asText()));
    ArrayNode repoList = state.putArray("repos");
    repos.forEach(repoList::add);

    Map<String, ObjectNode> open = new LinkedHashMap<>();
    for (JsonNode t : tasks) {
      JsonNode p = t.get("pullRequest");
      if (p == null
          || p.isNull()
          || !(p.path("state").asText().equals("OPEN")
              || p.path("state").asText().equals("DRAFT"))) {
        continue;
      }
      String prId = t.path("repoId").asText() + "#" + p.path("number").asText();
      if (open.containsKey(prId)) {
        continue;
      }
      ObjectNode pr = JsonNodeFactory.instance.objectNode();
      pr.put("prId", prId);
      pr.set("repoId", t.get("repoId"));
      for (String field :
          List.of(
              "repoFullName",
              "number",
              "title",
              "status",
              "state",
              "url",
              "headRefName",
              "baseRefName",
              "authorLogin",
              "isDraft",
              "updatedAtMs")) {
        pr.set(field, p.get(field));
      }
      open.put(prId, pr);
    }
    ArrayNode prs = state.putArray("openPullRequests");
    open.values().forEach(prs::add);
  }
}
