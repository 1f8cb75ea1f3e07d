package dev.foundry.backend.organization;

import dev.foundry.backend.organization.OrganizationEvents.ActiveOrganizationSelected;
import dev.foundry.backend.organization.OrganizationEvents.Event;
import dev.foundry.backend.organization.OrganizationEvents.SessionIndexed;
import dev.foundry.backend.organization.OrganizationEvents.SessionRemoved;
import dev.foundry.backend.organization.OrganizationEvents.TaskIndexed;
import dev.foundry.backend.organization.OrganizationEvents.TaskMaterialized;
import dev.foundry.backend.organization.OrganizationEvents.TaskPullRequestRefreshed;
import dev.foundry.backend.organization.OrganizationEvents.TaskSummaryApplied;
import dev.foundry.backend.organization.OrganizationEvents.TaskSummaryRemoved;
import dev.foundry.backend.organization.OrganizationEvents.VirtualTaskAdded;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.SessionEntry;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryOrganization;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What every request checks, answered from memory instead of asking the organization actors each
 * time (an event-sourced actor stashes queries while it persists, so those asks waited behind the
 * organization's task-summary writes):
 *
 * <ul>
 *   <li>the session directory: session id → its user, active organization and age (the {@code app}
 *       instance's session index);
 *   <li>memberships: organization id → the organization (profile, members, billing) whose member
 *       list the membership check reads;
 *   <li>the task index: (organization, task id) → the task's repository, for tasks whose actor
 *       exists.
 * </ul>
 *
 * Each is loaded with one query on first use. The organization actor invalidates what a command
 * changed after applying it and before answering it ({@link OrganizationActor#afterApply}), so a
 * sign-out, a removed member or a changed profile takes effect for the very next request after the
 * command's answer. The task index needs no invalidation: an indexed task's repository never
 * changes and an entry is never removed; only entries whose actor exists are kept. One per actor
 * system (a Pekko extension): the HTTP layer and the actors of one backend share it.
 */
public final class OrganizationViews implements Extension {
  /** Generous for one process; past it a view starts over (each entry is a few hundred bytes). */
  private static final int MAX_ENTRIES = 100_000;

  public static final ExtensionId<OrganizationViews> ID =
      new ExtensionId<>() {
        @Override
        public OrganizationViews createExtension(ActorSystem<?> system) {
          return new OrganizationViews(
              "cluster".equals(system.settings().config().getString("pekko.actor.provider")));
        }
      };

  /** An indexed task whose actor exists: enough to address it. */
  public record IndexedTask(String organizationId, String repoId, String taskId) {}

  private record TaskKey(String organizationId, String taskId) {}

  /**
   * Task events change the task index and the summary projection only, never what {@link
   * OrganizationTables#organization} returns; every other event may, and invalidates it.
   */
  private static final Set<Class<?>> TASK_PROJECTION_EVENTS =
      Set.of(
          TaskIndexed.class,
          TaskMaterialized.class,
          TaskSummaryApplied.class,
          TaskSummaryRemoved.class,
          VirtualTaskAdded.class,
          TaskPullRequestRefreshed.class);

  private final CurrentView<String, SessionEntry> sessions = new CurrentView<>(MAX_ENTRIES);
  private final CurrentView<String, FoundryOrganization> organizations =
      new CurrentView<>(MAX_ENTRIES);
  private final CurrentView<TaskKey, IndexedTask> tasks = new CurrentView<>(MAX_ENTRIES);

  /**
   * In cluster mode sessions and memberships are not kept: the organization that changes one may
   * run on another node, whose invalidation would reach this node only after its answer, so a
   * signed-out session could pass here a moment longer. They are asked of their actor instead. The
   * task index is kept on every node (an entry never changes).
   */
  private final boolean askEachTime;

  private OrganizationViews(boolean askEachTime) {
    this.askEachTime = askEachTime;
  }

  public static OrganizationViews get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The session, or null when the app instance does not know it. */
  public CompletionStage<SessionEntry> session(DurableRuntime runtime, String sessionId) {
    Supplier<CompletionStage<SessionEntry>> ask =
        () ->
            runtime
                .getOrCreate(
                    OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP))
                .query(new OrganizationProtocol.FindSession(sessionId));
    return askEachTime ? ask.get() : sessions.get(sessionId, ask);
  }

  /** The organization, or null when it does not exist. */
  public CompletionStage<FoundryOrganization> organization(
      DurableRuntime runtime, String organizationId) {
    Supplier<CompletionStage<FoundryOrganization>> ask =
        () ->
            runtime
                .get(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId))
                .queryIfExists(new OrganizationProtocol.GetOrganization());
    return askEachTime ? ask.get() : organizations.get(organizationId, ask);
  }

  /**
   * The task if the organization indexed it and its actor exists; null when it is unknown or still
   * virtual (the caller asks the organization then).
   */
  public CompletionStage<IndexedTask> liveTask(
      DurableRuntime runtime, String organizationId, String taskId) {
    return tasks.get(
        new TaskKey(organizationId, taskId),
        () ->
            runtime
                .get(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId))
                .queryIfExists(new OrganizationProtocol.GetTaskIndexEntry(taskId))
                .thenApply(
                    e ->
                        e == null || !e.actorCreated()
                            ? null
                            : new IndexedTask(organizationId, e.repoId(), e.taskId())));
  }

  /**
   * Called by the organization actor after a command's events were applied and before its answer:
   * forgets what they changed.
   */
  void applied(String organizationId, List<Event> events) {
    for (Event event : events) {
      if (event instanceof SessionIndexed e) {
        sessions.invalidate(e.sessionId());
      } else if (event instanceof SessionRemoved e) {
        sessions.invalidate(e.sessionId());
      } else if (event instanceof ActiveOrganizationSelected e) {
        sessions.invalidate(e.sessionId());
      } else if (!OrganizationIds.APP.equals(organizationId)
          && !TASK_PROJECTION_EVENTS.contains(event.getClass())) {
        organizations.invalidate(organizationId);
      }
    }
  }
}
