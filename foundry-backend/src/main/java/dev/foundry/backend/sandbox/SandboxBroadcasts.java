package dev.foundry.backend.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.protocol.SandboxProtocol.SandboxAddress;
import dev.foundry.backend.protocol.SandboxProtocol.TranscriptEntry;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.Outbound;
import dev.foundry.backend.runtime.RealtimeHub;
import dev.foundry.backend.sandbox.SandboxEvents.Event;
import dev.foundry.backend.sandbox.SandboxEvents.GitStateRefreshed;
import dev.foundry.backend.sandbox.SandboxEvents.ProcessStarted;
import dev.foundry.backend.sandbox.SandboxEvents.ProcessStopped;
import dev.foundry.backend.sandbox.SandboxEvents.SandboxDestroyed;
import dev.foundry.backend.sandbox.SandboxEvents.SessionCreated;
import dev.foundry.backend.sandbox.SandboxEvents.SessionModelChanged;
import dev.foundry.backend.sandbox.SandboxEvents.SessionStatusChanged;
import dev.foundry.backend.sandbox.SandboxEvents.TranscriptEntryAppended;
import dev.foundry.backend.sandbox.SandboxTables.SessionRow;
import dev.foundry.shared.realtime.RealtimeEvents;
import dev.foundry.shared.realtime.TranscriptUpdated;
import dev.foundry.shared.sandbox.SandboxProcesses;
import dev.foundry.shared.workspace.WorkspaceTranscriptEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What follows from the sandbox's events once they are applied: the reports to the task (through
 * the runtime's outbox, so they survive a crash) and the realtime publications of the {@code
 * session} topic's transcript increments and of the {@code sandboxProcesses} topic.
 */
final class SandboxBroadcasts {
  private final SandboxAddress address;
  private final DurableRuntime runtime;
  private final RealtimeHub hub;

  SandboxBroadcasts(SandboxAddress address, DurableRuntime runtime, RealtimeHub hub) {
    this.address = address;
    this.runtime = runtime;
    this.hub = hub;
  }

  /**
   * Session status and git state go to the task actor through the runtime's outbox, so a turn that
   * ends just before a crash still reaches the task (and the UI) after the restart.
   */
  List<Outbound.Tell> reportsToTask(List<Event> events, SandboxTables tables) {
    String repoId = tables.repoId();
    if (repoId == null) {
      return List.of();
    }
    DurableRef<TaskProtocol.Command<?>> task =
        runtime.get(
            TaskProtocol.TYPE,
            TaskProtocol.key(address.organizationId(), repoId, address.taskId()));
    List<Outbound.Tell> tells = new ArrayList<>();
    for (Event e : events) {
      // Only turn ends: the task marks a session running itself when it sends the message, and a
      // late "running" (the outbox does not order deliveries) must not revive a finished turn.
      if (e instanceof SessionStatusChanged c
          && ("idle".equals(c.status()) || "error".equals(c.status()))) {
        tells.add(
            new Outbound.Tell(
                task,
                new TaskProtocol.SyncSessionStatus(c.sessionId(), c.status(), c.errorMessage())));
      } else if (e instanceof GitStateRefreshed g) {
        tells.add(new Outbound.Tell(task, new TaskProtocol.SyncGitState(g.state())));
      }
    }
    return tells;
  }

  /**
   * The task actor owns the {@code session} topic's {@code sessionUpdated} (metadata); the sandbox
   * adds {@code transcriptUpdated} there with only the entries a command appended, so a long turn
   * does not resend its whole transcript with every streamed update. The entries are built from the
   * events just applied (their payloads are not read back from the table); only their numbers and
   * the session's status are read. {@code processesUpdated} carries the {@code sandboxProcesses}
   * topic's whole snapshot.
   */
  void publish(List<Event> events, SandboxTables tables) {
    Map<String, List<TranscriptEntryAppended>> appended = new LinkedHashMap<>();
    boolean processes = false;
    for (Event e : events) {
      if (e instanceof SessionCreated c) {
        appended.computeIfAbsent(c.sessionId(), k -> new ArrayList<>());
      } else if (e instanceof TranscriptEntryAppended a) {
        appended.computeIfAbsent(a.sessionId(), k -> new ArrayList<>()).add(a);
      } else if (e instanceof SessionStatusChanged c) {
        appended.computeIfAbsent(c.sessionId(), k -> new ArrayList<>());
      } else if (e instanceof SessionModelChanged c) {
        appended.computeIfAbsent(c.sessionId(), k -> new ArrayList<>());
      } else if (e instanceof ProcessStarted
          || e instanceof ProcessStopped
          || e instanceof SandboxDestroyed) {
        processes = true;
      }
    }
    String taskTopicId = address.organizationId() + "/" + address.taskId();
    appended.forEach(
        (sessionId, entries) ->
            hub.publish(
                RealtimeEvents.SESSION_TOPIC,
                taskTopicId + "/" + sessionId,
                RealtimeEvents.TRANSCRIPT_UPDATED,
                () -> transcriptUpdated(tables, sessionId, entries)));
    if (processes && tables.sandbox() != null) {
      hub.publish(
          RealtimeEvents.PROCESSES_TOPIC,
          taskTopicId,
          RealtimeEvents.PROCESSES_UPDATED,
          () -> new SandboxProcesses(tables.processes()));
    }
  }

  /**
   * The entries {@code appended} (the last ones of the session's transcript, numbered up to its
   * highest entry number), with its sandbox-side status.
   */
  private static TranscriptUpdated transcriptUpdated(
      SandboxTables tables, String sessionId, List<TranscriptEntryAppended> appended) {
    SessionRow s = tables.session(sessionId);
    List<WorkspaceTranscriptEvent> entries = new ArrayList<>(appended.size());
    if (!appended.isEmpty()) {
      long first = tables.transcriptSize(sessionId) - appended.size() + 1;
      for (int i = 0; i < appended.size(); i++) {
        TranscriptEntryAppended a = appended.get(i);
        entries.add(
            new TranscriptEntry(
                    first + i,
                    sessionId,
                    a.turnId(),
                    a.sender(),
                    a.kind(),
                    payload(a.payloadJson()),
                    a.at())
                .toWire());
      }
    }
    return new TranscriptUpdated(
        sessionId, s == null ? null : s.status(), s == null ? null : s.errorMessage(), entries);
  }

  /** The payload as the table's reader gives it: parsed JSON (the sandbox wrote it as JSON). */
  private static JsonNode payload(String json) {
    if (json == null) {
      return null;
    }
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      return JSON.getNodeFactory().textNode(json);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
}
