package dev.foundry.backend.task;

import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskAddress;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.UpsertTaskState;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.task.TaskEvents.Event;
import dev.foundry.backend.task.TaskEvents.LifecycleRecorded;
import dev.foundry.backend.task.TaskEvents.MessageSent;
import dev.foundry.backend.task.TaskEvents.OwnerChanged;
import dev.foundry.backend.task.TaskEvents.SessionClosed;
import dev.foundry.backend.task.TaskEvents.SessionCreated;
import dev.foundry.backend.task.TaskEvents.SessionModelChanged;
import dev.foundry.backend.task.TaskEvents.SessionReady;
import dev.foundry.backend.task.TaskEvents.SessionRenamed;
import dev.foundry.backend.task.TaskEvents.SessionStatusSynced;
import dev.foundry.backend.task.TaskEvents.StatusChanged;
import dev.foundry.backend.task.TaskEvents.TaskInitialized;
import dev.foundry.shared.realtime.RealtimeEvents;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What follows the task's events once they are applied. Durably (the runtime's outbox, persisted
 * with the events): audit entries, the summary pushed up to the organization, each user's own
 * session state, the sandbox's follow-ups and the provisioning step after initialization; none is
 * lost if the process dies after the commit. Then the realtime broadcasts: the task topic and the
 * session topic get their snapshot's shape as payload.
 */
final class TaskOutbox {
  /** Publishes one event to a topic; the payload is built only if anyone subscribes. */
  @FunctionalInterface
  interface Publisher {
    void publish(String topic, String id, String event, Supplier<?> payload);
  }

  private final TaskScope scope;

  TaskOutbox(TaskScope scope) {
    this.scope = scope;
  }

  List<Outbound.Tell> durableTells(List<Event> events, TaskTables tables) {
    TaskAddress address = scope.address();
    List<Outbound.Tell> tells = new ArrayList<>();
    boolean summaryChanged = false;
    for (Event event : events) {
      if (event instanceof LifecycleRecorded e) {
        tells.add(
            new Outbound.Tell(
                scope
                    .runtime()
                    .getOrCreate(
                        AuditLogProtocol.TYPE, AuditLogProtocol.key(address.organizationId())),
                new AuditLogProtocol.Append(
                    e.auditKind(),
                    address.repoId(),
                    address.taskId(),
                    tables.branchName(),
                    e.payload(),
                    e.commandId() + "/" + e.auditKind())));
      } else {
        summaryChanged = true;
      }
      if (event instanceof TaskInitialized && scope.runsSandboxes()) {
        // Without sandboxes the same write completed the task (TaskActor.initialize).
        tells.add(
            new Outbound.Tell(
                scope.runtime().get(TaskProtocol.TYPE, address.key()),
                new TaskProtocol.Provision()));
      } else if (event instanceof SessionStatusSynced e && e.turnEnded()) {
        TaskOwner owner = tables.owner();
        if (owner != null) {
          // Unread-on-finish: the owner sees that the agent is done.
          tells.add(userTell(owner.userId(), state(e.sessionId(), null, true, null)));
        }
      } else if (event instanceof MessageSent e && e.userId() != null) {
        tells.add(
            userTell(
                e.userId(),
                new UpsertTaskState(
                    address.taskId(), e.sessionId(), e.sessionId(), false, "", List.of())));
      } else if (event instanceof StatusChanged e
          && e.status().finished()
          && scope.runsSandboxes()
          && !sandboxAttached(tables)) {
        // A sandbox made by a provisioning that failed later (the clone, the session) is not
        // attached to the task but holds a live sandbox slot: the end of the task destroys it too
        // (a sandbox actor without a sandbox does nothing).
        tells.add(new Outbound.Tell(scope.sandboxRef(), new SandboxProtocol.Destroy()));
      } else if (sandboxAttached(tables) && sandboxCommand(event, tables) != null) {
        tells.add(new Outbound.Tell(scope.sandboxRef(), sandboxCommand(event, tables)));
      } else if (event instanceof SessionCreated e && e.createdBy() != null) {
        tells.add(userTell(e.createdBy(), state(e.sessionId(), e.sessionId(), false, null)));
      } else if (event instanceof SessionClosed e && e.closedBy() != null) {
        tells.add(
            userTell(
                e.closedBy(), new UserProtocol.DeleteTaskState(address.taskId(), e.sessionId())));
        tells.add(userTell(e.closedBy(), state(e.nextSessionId(), e.nextSessionId(), null, null)));
      }
    }
    if (summaryChanged) {
      WorkspaceTaskDetail detail = tables.requireDetail(address.taskId(), address.repoId());
      tells.add(
          new Outbound.Tell(
              scope
                  .runtime()
                  .get(
                      OrganizationProtocol.TYPE,
                      OrganizationProtocol.key(address.organizationId())),
              new OrganizationProtocol.ApplyTaskSummaryUpdate(TaskViews.summaryOf(detail))));
    }
    return tells;
  }

  private boolean sandboxAttached(TaskTables tables) {
    return tables.sandboxUrl() != null && scope.runsSandboxes();
  }

  /** What the sandbox must do about {@code event} of a task that has one; null for nothing. */
  private static SandboxProtocol.Command<?> sandboxCommand(Event event, TaskTables tables) {
    if (event instanceof StatusChanged e && e.status().finished()) {
      return new SandboxProtocol.Destroy(); // archive and kill leave no process behind
    } else if (event instanceof OwnerChanged e && e.owner() != null) {
      return new SandboxProtocol.StoreGitCredentials(
          e.owner().userId(), e.owner().login(), e.owner().email());
    } else if (event instanceof SessionClosed e) {
      return new SandboxProtocol.CloseSession(e.sessionId());
    } else if (event instanceof SessionModelChanged e && tables.sessionReady(e.sessionId())) {
      return new SandboxProtocol.ChangeModel(e.sessionId(), e.model());
    }
    return null;
  }

  /** A user's state of one session of this task: only the non-null fields change. */
  private UpsertTaskState state(
      String sessionId, String activeSessionId, Boolean unread, String draft) {
    return new UpsertTaskState(scope.taskId(), sessionId, activeSessionId, unread, draft, null);
  }

  private Outbound.Tell userTell(String userId, UserProtocol.Command<?> command) {
    return new Outbound.Tell(scope.user(userId), command);
  }

  /**
   * Realtime broadcasts: the task topic gets its {@code WorkspaceTaskDetail}, each session named by
   * the events its {@code WorkspaceSessionDetail} (metadata; the transcript has its own event).
   */
  void broadcast(List<Event> events, TaskTables tables, Publisher publisher) {
    boolean summaryChanged = events.stream().anyMatch(e -> !(e instanceof LifecycleRecorded));
    if (!summaryChanged) {
      return;
    }
    TaskAddress address = scope.address();
    WorkspaceTaskDetail detail = tables.requireDetail(address.taskId(), address.repoId());
    String topicId = address.organizationId() + "/" + address.taskId();
    publisher.publish(
        RealtimeEvents.TASK_TOPIC, topicId, RealtimeEvents.TASK_UPDATED, () -> detail);
    for (String sessionId : sessionsNamed(events)) {
      publisher.publish(
          RealtimeEvents.SESSION_TOPIC,
          topicId + "/" + sessionId,
          RealtimeEvents.SESSION_UPDATED,
          () -> tables.requireSessionDetail(sessionId));
    }
  }

  private static Set<String> sessionsNamed(List<Event> events) {
    Set<String> ids = new LinkedHashSet<>();
    for (Event e : events) {
      if (e instanceof SessionCreated s) {
        ids.add(s.sessionId());
      } else if (e instanceof SessionRenamed s) {
        ids.add(s.sessionId());
      } else if (e instanceof SessionModelChanged s) {
        ids.add(s.sessionId());
      } else if (e instanceof SessionStatusSynced s) {
        ids.add(s.sessionId());
      } else if (e instanceof SessionReady s) {
        ids.add(s.sessionId());
      }
    }
    return ids;
  }
}
