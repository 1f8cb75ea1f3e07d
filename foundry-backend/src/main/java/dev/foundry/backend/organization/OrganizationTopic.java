package dev.foundry.backend.organization;

import dev.foundry.backend.organization.OrganizationEvents.Event;
import dev.foundry.backend.organization.OrganizationEvents.TaskIndexed;
import dev.foundry.backend.organization.OrganizationEvents.TaskMaterialized;
import dev.foundry.backend.organization.OrganizationEvents.TaskPullRequestRefreshed;
import dev.foundry.backend.organization.OrganizationEvents.TaskSummaryApplied;
import dev.foundry.backend.organization.OrganizationEvents.TaskSummaryRemoved;
import dev.foundry.backend.organization.OrganizationEvents.VirtualTaskAdded;
import dev.foundry.backend.protocol.OrganizationProtocol.TaskIndexEntry;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.runtime.RealtimeHub;
import dev.foundry.shared.realtime.RealtimeEvents;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the {@code organization} topic's subscribers get after a batch of applied events
 * (docs/realtime.md, "Per-task changes on the organization topic").
 *
 * <p>A batch that changed only task summaries publishes one {@code taskSummaryUpdated} per task it
 * touched, with that task's summary as it is now (several changes of one task in a batch are one
 * event), or {@code taskSummaryRemoved} for a task whose summary is gone. A subscriber keeps its
 * snapshot's task list current with them and derives the rest of the snapshot that depends on the
 * list (repository task counts and activity, open pull requests). Anything else (profile, members,
 * repositories, billing, GitHub sync) publishes the whole {@code organizationUpdated}, and so does
 * an event this class does not know: a full replacement is always right, only larger.
 *
 * <p>Why: one rename used to send the whole organization (31 KB at 100 tasks) to every subscriber;
 * a task's summary is a few hundred bytes, whatever the organization's size.
 */
final class OrganizationTopic {
  private OrganizationTopic() {}

  /** Publishes what {@code events} changed; reads the tables only when someone subscribes. */
  static void publish(
      RealtimeHub hub, String organizationId, List<Event> events, OrganizationTables tables) {
    if (!hub.hasSubscribers(RealtimeEvents.ORGANIZATION_TOPIC, organizationId)) {
      return;
    }
    hub.publishAll(publications(organizationId, events, tables));
  }

  static List<Publication> publications(
      String organizationId, List<Event> events, OrganizationTables tables) {
    Set<String> touched = touchedTasks(events);
    if (touched == null) {
      return List.of(full(organizationId, tables));
    }
    List<Publication> out = new ArrayList<>();
    for (String taskId : touched) {
      WorkspaceTaskSummary summary = tables.taskSummary(taskId);
      if (summary != null) {
        out.add(
            new Publication(
                RealtimeEvents.ORGANIZATION_TOPIC,
                organizationId,
                RealtimeEvents.TASK_SUMMARY_UPDATED,
                summary));
      } else if (removed(taskId, events)) {
        if (leavesRepositoryEmpty(taskId, tables)) {
          // A repository without tasks shows its own last activity, which a client cannot
          // derive from the task list: the whole organization says it.
          return List.of(full(organizationId, tables));
        }
        out.add(
            new Publication(
                RealtimeEvents.ORGANIZATION_TOPIC,
                organizationId,
                RealtimeEvents.TASK_SUMMARY_REMOVED,
                new dev.foundry.shared.realtime.TaskSummaryRemoved(taskId)));
      }
      // Neither: a pull-request refresh of a task that has no summary changed nothing listed.
    }
    return out;
  }

  /**
   * The tasks whose summaries {@code events} changed, in the order first touched; null when an
   * event changed something other than task summaries (or is one this class does not know).
   */
  static Set<String> touchedTasks(List<Event> events) {
    Set<String> tasks = new LinkedHashSet<>();
    for (Event event : events) {
      if (event instanceof TaskSummaryApplied e) {
        tasks.add(e.summary().id());
      } else if (event instanceof TaskSummaryRemoved e) {
        tasks.add(e.taskId());
      } else if (event instanceof VirtualTaskAdded e) {
        tasks.add(e.taskId());
      } else if (event instanceof TaskPullRequestRefreshed e) {
        tasks.add(e.taskId());
      } else if (!(event instanceof TaskIndexed) && !(event instanceof TaskMaterialized)) {
        // The task index is not part of the summary; everything else may be.
        return null;
      }
    }
    return tasks;
  }

  private static boolean removed(String taskId, List<Event> events) {
    return events.stream()
        .anyMatch(e -> e instanceof TaskSummaryRemoved r && r.taskId().equals(taskId));
  }

  private static boolean leavesRepositoryEmpty(String taskId, OrganizationTables tables) {
    TaskIndexEntry entry = tables.indexEntry(taskId);
    return entry == null || tables.taskSummaries(entry.repoId()).isEmpty();
  }

  private static Publication full(String organizationId, OrganizationTables tables) {
    return new Publication(
        RealtimeEvents.ORGANIZATION_TOPIC,
        organizationId,
        RealtimeEvents.ORGANIZATION_UPDATED,
        tables.summary(organizationId));
  }
}
