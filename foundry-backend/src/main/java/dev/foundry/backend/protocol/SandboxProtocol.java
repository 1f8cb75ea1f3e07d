package dev.foundry.backend.protocol;

import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorType;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.RestatedByEvents;
import dev.foundry.sandbox.process.ProcessInfo;
import dev.foundry.sandbox.process.ProcessLogEntry;
import dev.foundry.shared.sandbox.GitState;
import dev.foundry.shared.sandbox.ProcessRecord;
import dev.foundry.shared.sandbox.RepositoryView;
import dev.foundry.shared.sandbox.SandboxView;
import dev.foundry.shared.workspace.WorkspaceTranscriptEvent;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** How the task and the HTTP layer talk to a sandbox: its commands, queries and views. */
public final class SandboxProtocol {
  private SandboxProtocol() {}

  /** The persisted name {@code "sandbox"} and the command root: how callers address a sandbox. */
  public static final ActorType<Command<?>> TYPE = ActorType.of("sandbox", Command.class);

  /** The agent a session falls back to: the offline agent in the {@code mock} slot. */
  public static final String DEFAULT_AGENT = "mock";

  /** As upstream: one sandbox per task, the sandbox id being the task id. */
  public record SandboxAddress(String organizationId, String taskId) {
    public ActorKey key() {
      return ActorKey.of("org", organizationId, "sandbox", taskId);
    }

    public static SandboxAddress of(ActorKey key) {
      return new SandboxAddress(key.segments().get(1), key.segments().get(3));
    }
  }

  public static ActorKey key(String organizationId, String taskId) {
    return new SandboxAddress(organizationId, taskId).key();
  }

  // 2. Commands --------------------------------------------------------------------------------

  public sealed interface Command<R> extends DurableCommand<R> {}

  /** A command about one existing session (the sandbox guards its session's state once). */
  public sealed interface SessionCommand<R> extends Command<R> {
    String sessionId();
  }

  /**
   * Creates the sandbox, or finds it again (it survives restarts). {@code repoId} names, with the
   * key, the task actor the sandbox reports session status and git state to (null: no reports).
   */
  /**
   * {@code ownerUserId} (may be null) is the task owner whose agent keys a new sandbox's
   * environment gets (asked from the sandbox host's {@code AgentKeySource}, never carried here).
   * Refused with {@code sandbox_limit_reached} when a new sandbox would pass the live sandbox
   * limits.
   */
  @JsonTypeName("sandbox.provision")
  public record Provision(String repoId, String ownerUserId) implements Command<SandboxView> {}

  /**
   * Sent by the actor to itself on its first activation in a process: rebuild what a restart lost.
   */
  @JsonTypeName("sandbox.reattach")
  public record Reattach() implements Command<Void> {}

  /** Clones the task's repository into the work dir and checks out {@code branch} (may be new). */
  @JsonTypeName("sandbox.clone-repository")
  public record CloneRepository(String remoteUrl, String branch)
      implements Command<RepositoryView> {}

  /**
   * (Re)writes the credential store with {@code ownerUserId}'s credentials (asked from the sandbox
   * host's {@code GitCredentialSource}, never carried here) and sets git's author identity.
   */
  @JsonTypeName("sandbox.store-git-credentials")
  public record StoreGitCredentials(String ownerUserId, String login, String email)
      implements Command<Void> {}

  /**
   * Opens an agent session in the work dir. {@code agent} null: the model's agent when the sandbox
   * can run it, else {@value #DEFAULT_AGENT} (the offline agent); see the sandbox's {@code
   * AgentChoice}.
   */
  @JsonTypeName("sandbox.create-session")
  public record CreateSession(String sessionId, String agent, String model)
      implements Command<SessionView> {}

  /**
   * Records the message and starts the turn; completes at once with the turn id. {@code messageId}
   * (may be null) makes a redelivery harmless: a message whose turn exists is not sent again.
   */
  @JsonTypeName("sandbox.send-message")
  public record SendMessage(String sessionId, String text, String messageId)
      implements SessionCommand<String> {}

  /**
   * One streamed update of a running turn (sent by the session's listener). Its transcript entry
   * restates it, so the journal keeps the payload once ({@link RestatedByEvents}).
   */
  @JsonTypeName("sandbox.record-session-update")
  public record RecordSessionUpdate(
      String sessionId, String turnId, String kind, String payloadJson)
      implements Command<Void>, RestatedByEvents {}

  /**
   * Streamed updates of a running turn in arrival order, as one command: what the session's
   * listener sends for the updates of one batch window ({@code
   * foundry.sandbox.transcript-batch-window}), or that queued up while the actor was busy.
   * Journaled once, as its transcript entries ({@link RestatedByEvents}).
   */
  @JsonTypeName("sandbox.record-session-updates")
  public record RecordSessionUpdates(String sessionId, String turnId, List<StreamedUpdate> updates)
      implements Command<Void>, RestatedByEvents {}

  /** One update in {@link RecordSessionUpdates}: its ACP kind and its JSON. */
  public record StreamedUpdate(String kind, String payloadJson) {}

  /** A turn ended (sent by the turn's completion): its stop reason, or why it failed. */
  @JsonTypeName("sandbox.finish-turn")
  public record FinishTurn(String sessionId, String turnId, String stopReason, String errorMessage)
      implements Command<Void> {}

  /** The agent process of a session died (sent by the session's listener). */
  @JsonTypeName("sandbox.record-session-ended")
  public record RecordSessionEnded(String sessionId, String reason) implements Command<Void> {}

  /** Asks the agent to cancel the running turn; the turn then ends as {@code cancelled}. */
  @JsonTypeName("sandbox.stop-turn")
  public record StopTurn(String sessionId) implements Command<Boolean> {}

  /**
   * Switches the session's model: live through the agent's {@code model} option when it has one; an
   * agent that refuses gets the model when its session is next opened.
   */
  @JsonTypeName("sandbox.change-model")
  public record ChangeModel(String sessionId, String model)
      implements SessionCommand<SessionView> {}

  @JsonTypeName("sandbox.close-session")
  public record CloseSession(String sessionId) implements SessionCommand<Void> {}

  /** Starts a background process; {@code cwd} null means the work dir. */
  @JsonTypeName("sandbox.start-process")
  public record StartProcess(String command, List<String> args, String cwd)
      implements Command<ProcessInfo> {}

  @JsonTypeName("sandbox.stop-process")
  public record StopProcess(String processId) implements Command<ProcessInfo> {}

  @JsonTypeName("sandbox.refresh-git-state")
  public record RefreshGitState() implements Command<GitState> {}

  /** Drops the changes to one file (a new file is deleted); replies the refreshed git state. */
  @JsonTypeName("sandbox.revert-file")
  public record RevertFile(String path) implements Command<GitState> {}

  /**
   * {@code git push -u origin <branch>} with the owner's credentials; a rejected push or missing
   * credentials is refused with git's own message (code {@code git_push_failed}).
   */
  @JsonTypeName("sandbox.push-branch")
  public record PushBranch() implements Command<GitState> {}

  /**
   * Brings the branch up to date with the remote's default branch: fetch, then rebase onto it. A
   * conflict aborts the rebase (the work tree is left as it was) and names the files.
   */
  @JsonTypeName("sandbox.sync-branch")
  public record SyncBranch() implements Command<GitState> {}

  /**
   * Merges the branch into the remote's default branch: sync first, then push the branch's head to
   * the default branch (a fast-forward, so the remote never gets a merge it did not see).
   */
  @JsonTypeName("sandbox.merge-branch")
  public record MergeBranch() implements Command<GitState> {}

  /** Ends every session and process and deletes the sandbox; later commands are refused. */
  @JsonTypeName("sandbox.destroy")
  public record Destroy() implements Command<Void> {}

  // 4. Queries

  /** {@code status}: idle, running, error or closed. */
  public record SessionView(
      String sessionId,
      String agent,
      String model,
      String status,
      String turnId,
      String errorMessage,
      long createdAt,
      long updatedAt) {}

  /** {@code sender}: client, agent or system; {@code kind} is the ACP update kind for agents. */
  public record TranscriptEntry(
      long eventIndex,
      String sessionId,
      String turnId,
      String sender,
      String kind,
      JsonNode payload,
      long createdAt) {
    /** The entry as clients see it: the one transcript type of snapshots and increments. */
    public WorkspaceTranscriptEvent toWire() {
      return new WorkspaceTranscriptEvent(
          sessionId + "/" + eventIndex,
          eventIndex,
          sessionId,
          createdAt,
          turnId,
          sender,
          payload,
          turnId);
    }
  }

  public record SessionDetail(SessionView session, List<TranscriptEntry> transcript) {
    /** The agent's reply text of one turn: its message chunks joined. */
    public String agentText(String turnId) {
      StringBuilder b = new StringBuilder();
      for (TranscriptEntry e : transcript) {
        if (turnId.equals(e.turnId()) && "agent_message_chunk".equals(e.kind())) {
          b.append(e.payload().path("content").path("text").asText(""));
        }
      }
      return b.toString();
    }
  }

  /** The sandbox, its repository, owner and git state; null before {@link Provision}. */
  public record GetSandbox() implements ActorQuery<SandboxView> {}

  public record ListSessions() implements ActorQuery<List<SessionView>> {}

  /** One session with its transcript; null if there is no such session. */
  public record GetSession(String sessionId) implements ActorQuery<SessionDetail> {}

  public record GetGitState() implements ActorQuery<GitState> {}

  /** The processes started in the sandbox as recorded (the realtime snapshot). */
  public record GetProcesses() implements ActorQuery<List<ProcessRecord>> {}

  /** Live from the sandbox's server; fails if the sandbox is not attached in this process. */
  public record ListProcesses() implements ActorQuery<CompletionStage<List<ProcessInfo>>> {}

  public record ProcessLogs(String processId)
      implements ActorQuery<CompletionStage<List<ProcessLogEntry>>> {}
}
