package dev.foundry.backend.sandbox;

import static dev.foundry.backend.sandbox.SandboxScope.blank;
import static dev.foundry.backend.sandbox.SandboxScope.now;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.backend.protocol.SandboxProtocol.ChangeModel;
import dev.foundry.backend.protocol.SandboxProtocol.CloseSession;
import dev.foundry.backend.protocol.SandboxProtocol.CreateSession;
import dev.foundry.backend.protocol.SandboxProtocol.FinishTurn;
import dev.foundry.backend.protocol.SandboxProtocol.RecordSessionEnded;
import dev.foundry.backend.protocol.SandboxProtocol.RecordSessionUpdate;
import dev.foundry.backend.protocol.SandboxProtocol.RecordSessionUpdates;
import dev.foundry.backend.protocol.SandboxProtocol.SendMessage;
import dev.foundry.backend.protocol.SandboxProtocol.SessionCommand;
import dev.foundry.backend.protocol.SandboxProtocol.SessionView;
import dev.foundry.backend.protocol.SandboxProtocol.StopTurn;
import dev.foundry.backend.protocol.SandboxProtocol.StreamedUpdate;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.backend.sandbox.SandboxEvents.Event;
import dev.foundry.backend.sandbox.SandboxEvents.GitStateRefreshed;
import dev.foundry.backend.sandbox.SandboxEvents.SessionCreated;
import dev.foundry.backend.sandbox.SandboxEvents.SessionModelChanged;
import dev.foundry.backend.sandbox.SandboxEvents.SessionStatusChanged;
import dev.foundry.backend.sandbox.SandboxEvents.TranscriptEntryAppended;
import dev.foundry.backend.sandbox.SandboxHost.RunningTurn;
import dev.foundry.backend.sandbox.SandboxTables.SessionRow;
import dev.foundry.sandbox.git.SandboxGit;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.AgentTurn;
import dev.foundry.sandbox.session.PermissionHandler;
import dev.foundry.sandbox.session.SessionListener;
import dev.foundry.sandbox.session.SessionUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Agent sessions and their turns: open a session, send a message (which starts a turn and answers
 * at once), record the turn's streamed updates and its end (commands the session's listener sends
 * back to the actor), stop a turn, change the model, close. The agent processes and running turns
 * are live handles in the {@link SandboxHost}; the tables hold the sessions and their transcript.
 */
final class SandboxSessions {
  /** Plain Jackson, for the transcript payloads this group writes (agent updates, turn ends). */
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SandboxScope scope;

  SandboxSessions(SandboxScope scope) {
    this.scope = scope;
  }

  // Guards ----------------------------------------------------------------------------------------

  /** The command's session exists. */
  static Decision<?> sessionExists(DurableCommand<?> command, SandboxTables t) {
    String sessionId = ((SessionCommand<?>) command).sessionId();
    return t.session(sessionId) == null ? notFound(sessionId) : null;
  }

  /** The command's session exists and is not closed. */
  static Decision<?> sessionOpen(DurableCommand<?> command, SandboxTables t) {
    String sessionId = ((SessionCommand<?>) command).sessionId();
    SessionRow s = t.session(sessionId);
    if (s == null) {
      return notFound(sessionId);
    }
    return "closed".equals(s.status())
        ? Decision.reject("session_closed", "session " + sessionId + " is closed")
        : null;
  }

  private static Decision<?> notFound(String sessionId) {
    return Decision.reject("session_not_found", "no session " + sessionId);
  }

  // Opening ---------------------------------------------------------------------------------------

  Decision<SessionView> createSession(CreateSession cmd, SandboxTables t) {
    if (blank(cmd.sessionId())) {
      return Decision.reject("invalid_session", "sessionId is required");
    }
    SessionRow existing = t.session(cmd.sessionId());
    if (existing != null) {
      return Decision.reply(t.sessionView(cmd.sessionId()));
    }
    return scope.withSandbox(
        t,
        sb -> {
          CompletionStage<AgentChoice.Choice> agent =
              blank(cmd.agent())
                  ? AgentChoice.forModel(sb.client(), cmd.model())
                  : CompletableFuture.completedFuture(new AgentChoice.Choice(cmd.agent(), null));
          return Decision.after(
              agent.thenCompose(
                  chosen ->
                      openSession(sb, cmd.sessionId(), chosen.agent(), cmd.model())
                          .thenApply(session -> new Opened(chosen, session))),
              opened -> {
                scope.live.sessions.put(cmd.sessionId(), opened.session());
                long at = now();
                List<Event> events = new ArrayList<>();
                events.add(
                    new SessionCreated(
                        cmd.sessionId(),
                        opened.choice().agent(),
                        cmd.model(),
                        opened.session().cwd(),
                        at));
                if (opened.choice().note() != null) {
                  // Said in the transcript, where the user reads the session: no session is
                  // labelled with a model whose agent does not run it.
                  events.add(
                      new TranscriptEntryAppended(
                          cmd.sessionId(),
                          null,
                          "system",
                          AGENT_SUBSTITUTED,
                          JSON.createObjectNode()
                              .put("agent", opened.choice().agent())
                              .put("model", cmd.model())
                              .put("text", opened.choice().note())
                              .toString(),
                          at));
                }
                return Decision.<SessionView>persist(events)
                    .thenReply(() -> t.sessionView(cmd.sessionId()));
              });
        });
  }

  private record Opened(AgentChoice.Choice choice, AgentSession session) {}

  /** The transcript kind of the system entry that says the offline agent runs instead. */
  static final String AGENT_SUBSTITUTED = "agent_substituted";

  private CompletionStage<AgentSession> openSession(
      Sandbox sb, String sessionId, String agent, String model) {
    SessionListener onEnd =
        new SessionListener() {
          @Override
          public void onUpdate(SessionUpdate update) {}

          @Override
          public void onClosed(Throwable cause) {
            if (cause != null) {
              scope.deliveries.end(
                  new RecordSessionEnded(sessionId, "agent exited: " + Failures.message(cause)));
            }
          }
        };
    CompletionStage<AgentSession> opened =
        AgentSession.open(
            sb.client(),
            AgentSessionOptions.of(agent, sb.workDir())
                .withPermissions(PermissionHandler.allowOnce())
                .withListener(onEnd));
    if (blank(model)) {
      return opened;
    }
    // Best effort, like upstream: an agent without the option keeps its default model.
    return opened.thenCompose(s -> s.setModel(model).handle((r, failure) -> s));
  }

  // Turns -----------------------------------------------------------------------------------------

  /** Guarded by {@link #sessionOpen}. */
  Decision<String> sendMessage(SendMessage cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if (blank(cmd.text())) {
      return Decision.reject("invalid_message", "message text is required");
    }
    if (cmd.messageId() != null && t.hasTurn(cmd.sessionId(), turnId(cmd))) {
      // Delivered before: the turn exists. A task sends a message again only when it stopped
      // before recording the first answer, and it marks the session running when it records this
      // one. If the turn has ended already (a restart interrupted it), the task may have heard of
      // that end before this answer: tell it again, so that it arrives after.
      if ("idle".equals(s.status()) || "error".equals(s.status())) {
        return Decision.<String>persist(
                new SessionStatusChanged(
                    s.sessionId(), s.status(), s.turnId(), s.errorMessage(), now()))
            .thenReply(() -> turnId(cmd));
      }
      return Decision.reply(turnId(cmd));
    }
    if (scope.live.turns.containsKey(cmd.sessionId())) {
      return Decision.reject(
          "session_busy", "session " + cmd.sessionId() + " is running a turn; stop it first");
    }
    return scope.withSandbox(
        t, sb -> withAgentSession(sb, s, session -> startTurn(cmd, session, t)));
  }

  private String turnId(SendMessage cmd) {
    return "turn-" + (cmd.messageId() != null ? cmd.messageId() : scope.commandId());
  }

  private <R> Decision<R> withAgentSession(
      Sandbox sb, SessionRow s, Function<AgentSession, Decision<R>> then) {
    AgentSession session = scope.live.sessions.get(s.sessionId());
    if (session != null && session.isOpen()) {
      return then.apply(session);
    }
    // A new agent process for a session whose agent died or whose backend restarted.
    return Decision.after(
        openSession(sb, s.sessionId(), s.agent(), s.model()),
        opened -> {
          scope.live.sessions.put(s.sessionId(), opened);
          return then.apply(opened);
        });
  }

  private Decision<String> startTurn(SendMessage cmd, AgentSession session, SandboxTables t) {
    String sessionId = cmd.sessionId();
    String turnId = turnId(cmd);
    List<Event> events = new ArrayList<>();
    SessionRow s = t.session(sessionId);
    if ("running".equals(s.status())) {
      events.add(interrupted(s)); // stale: its turn did not survive a restart
    }
    AgentTurn turn;
    try {
      turn =
          session.prompt(
              cmd.text(),
              update ->
                  scope.deliveries.update(
                      new RecordSessionUpdate(sessionId, turnId, update.kind(), toJson(update))));
    } catch (IllegalStateException e) {
      return Decision.reject("session_busy", e.getMessage()); // the agent still has a turn
    }
    scope.live.turns.put(sessionId, new RunningTurn(turnId, turn));
    turn.result()
        .whenComplete(
            (result, failure) ->
                scope.deliveries.end(
                    failure == null
                        ? new FinishTurn(sessionId, turnId, result.rawStopReason(), null)
                        : new FinishTurn(sessionId, turnId, null, Failures.message(failure))));
    ObjectNode message = JSON.createObjectNode().put("text", cmd.text());
    events.add(
        new TranscriptEntryAppended(
            sessionId, turnId, "client", "user_message", message.toString(), now()));
    events.add(new SessionStatusChanged(sessionId, "running", turnId, null, now()));
    return Decision.<String>persist(events).thenReply(() -> turnId);
  }

  Decision<Void> recordSessionUpdate(RecordSessionUpdate cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if (s == null || "closed".equals(s.status())) {
      return Decision.reply(null);
    }
    return Decision.persist(
        new TranscriptEntryAppended(
            cmd.sessionId(), cmd.turnId(), "agent", cmd.kind(), cmd.payloadJson(), now()));
  }

  /** A run of streamed updates of one turn, in order (see {@link ListenerDeliveries}). */
  Decision<Void> recordSessionUpdates(RecordSessionUpdates cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if (s == null || "closed".equals(s.status()) || cmd.updates() == null) {
      return Decision.reply(null);
    }
    long at = now();
    List<Event> events = new ArrayList<>();
    for (StreamedUpdate u : cmd.updates()) {
      events.add(
          new TranscriptEntryAppended(
              cmd.sessionId(), cmd.turnId(), "agent", u.kind(), u.payloadJson(), at));
    }
    return Decision.persist(events);
  }

  Decision<Void> finishTurn(FinishTurn cmd, SandboxTables t) {
    scope.live.turns.computeIfPresent(
        cmd.sessionId(), (id, running) -> running.turnId().equals(cmd.turnId()) ? null : running);
    SessionRow s = t.session(cmd.sessionId());
    if (s == null || !cmd.turnId().equals(s.turnId()) || "closed".equals(s.status())) {
      return Decision.reply(null);
    }
    if (!"running".equals(s.status()) && t.hasEntry(cmd.sessionId(), cmd.turnId(), "turn_ended")) {
      return Decision.reply(null); // sent again after a timeout: the end is recorded already
    }
    ObjectNode end = JSON.createObjectNode();
    end.put("stopReason", cmd.stopReason());
    end.put("error", cmd.errorMessage());
    List<Event> events = new ArrayList<>();
    events.add(
        new TranscriptEntryAppended(
            cmd.sessionId(), cmd.turnId(), "system", "turn_ended", end.toString(), now()));
    if ("running".equals(s.status())) {
      boolean failed = cmd.errorMessage() != null;
      events.add(
          new SessionStatusChanged(
              cmd.sessionId(),
              failed ? "error" : "idle",
              cmd.turnId(),
              failed ? cmd.errorMessage() : null,
              now()));
    }
    Sandbox sb = scope.live.sandbox;
    if (sb == null || t.repository() == null) {
      return Decision.persist(events);
    }
    // The turn may have changed files: refresh the derived git state with its end.
    return Decision.after(
        SandboxGitState.collect(new SandboxGit(sb.client(), sb.homeDir()), t.repository().dir()),
        state -> {
          events.add(new GitStateRefreshed(state, now()));
          return Decision.persist(events);
        },
        failure -> {
          scope.log.warn(
              "git state of {} after a turn: {}",
              scope.address.key(),
              Failures.cause(failure).toString());
          return Decision.persist(events);
        });
  }

  Decision<Void> recordSessionEnded(RecordSessionEnded cmd, SandboxTables t) {
    scope.live.sessions.remove(cmd.sessionId());
    SessionRow s = t.session(cmd.sessionId());
    if (s == null || "closed".equals(s.status()) || "error".equals(s.status())) {
      return Decision.reply(null);
    }
    return Decision.persist(
        new SessionStatusChanged(cmd.sessionId(), "error", s.turnId(), cmd.reason(), now()));
  }

  Decision<Boolean> stopTurn(StopTurn cmd, SandboxTables t) {
    RunningTurn running = scope.live.turns.get(cmd.sessionId());
    if (running == null) {
      return Decision.reply(false);
    }
    return Decision.after(running.turn().cancel(), v -> Decision.reply(true));
  }

  /** Sessions the tables say are running whose turn is not live in this process. */
  List<Event> interruptedTurns(SandboxTables t) {
    List<Event> events = new ArrayList<>();
    for (SessionRow s : t.sessions()) {
      if ("running".equals(s.status()) && !scope.live.turns.containsKey(s.sessionId())) {
        events.add(interrupted(s));
      }
    }
    return events;
  }

  private static Event interrupted(SessionRow s) {
    return new SessionStatusChanged(
        s.sessionId(), "error", s.turnId(), SandboxActor.BACKEND_RESTARTED, now());
  }

  // Model and close -------------------------------------------------------------------------------

  /** Guarded by {@link #sessionOpen}. */
  Decision<SessionView> changeModel(ChangeModel cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if (blank(cmd.model())) {
      return Decision.reject("invalid_model", "model is required");
    }
    if (cmd.model().equals(s.model())) {
      return Decision.reply(t.sessionView(cmd.sessionId()));
    }
    Decision<SessionView> changed =
        Decision.<SessionView>persist(new SessionModelChanged(cmd.sessionId(), cmd.model(), now()))
            .thenReply(() -> t.sessionView(cmd.sessionId()));
    AgentSession session = scope.live.sessions.get(cmd.sessionId());
    if (session == null || !session.isOpen()) {
      return changed; // the next open uses it
    }
    return Decision.after(
        session.setModel(cmd.model()),
        r -> changed,
        failure -> {
          // This agent cannot switch live: end its process so the next message opens the session
          // again with the new model (upstream recreates an unused session the same way).
          if (!scope.live.turns.containsKey(cmd.sessionId())) {
            scope.live.sessions.remove(cmd.sessionId());
            session.closeAsync();
          }
          return changed;
        });
  }

  /** Guarded by {@link #sessionExists}. */
  Decision<Void> closeSession(CloseSession cmd, SandboxTables t) {
    SessionRow s = t.session(cmd.sessionId());
    if ("closed".equals(s.status())) {
      return Decision.reply(null);
    }
    scope.live.turns.remove(cmd.sessionId());
    AgentSession session = scope.live.sessions.remove(cmd.sessionId());
    CompletionStage<Void> io =
        session == null ? CompletableFuture.completedFuture(null) : session.closeAsync();
    return Decision.after(
        io,
        v ->
            Decision.persist(
                new SessionStatusChanged(cmd.sessionId(), "closed", s.turnId(), null, now())));
  }

  /** An agent update as a transcript payload, named by its ACP kind like upstream's. */
  private static String toJson(SessionUpdate update) {
    try {
      ObjectNode node = JSON.valueToTree(update);
      node.put("sessionUpdate", update.kind());
      return node.toString();
    } catch (IllegalArgumentException e) {
      return JSON.createObjectNode().put("sessionUpdate", update.kind()).toString();
    }
  }
}
