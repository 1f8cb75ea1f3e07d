package dev.foundry.backend.sandbox;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.shared.sandbox.GitState;
import java.util.List;

/**
 * The sandbox actor's events: what its journal holds and what {@link SandboxTables} applies. They
 * are private to the actor (callers see commands and views in {@code SandboxProtocol}); on disk
 * each is named by its {@code @JsonTypeName}, so these names never change.
 */
public final class SandboxEvents {
  private SandboxEvents() {}

  public sealed interface Event extends DurableEvent {}

  @JsonTypeName("sandbox.provisioned")
  public record SandboxProvisioned(
      String providerId,
      String sandboxId,
      String baseUrl,
      String homeDir,
      String workDir,
      long at,
      String repoId,
      String agentKeysOwner)
      implements Event {}

  /** The server restarted with the agent keys of a new owner; its address may have changed. */
  @JsonTypeName("sandbox.agent-keys-replaced")
  public record AgentKeysReplaced(String ownerUserId, String baseUrl, long at) implements Event {}

  @JsonTypeName("sandbox.reattached")
  public record SandboxReattached(String baseUrl, long at) implements Event {}

  @JsonTypeName("sandbox.repository-cloned")
  public record RepositoryCloned(
      String remoteUrl, String branch, String headCommit, String dir, long at) implements Event {}

  @JsonTypeName("sandbox.git-credentials-stored")
  public record GitCredentialsStored(
      String ownerUserId, String login, String email, List<String> hosts, long at)
      implements Event {}

  @JsonTypeName("sandbox.session-created")
  public record SessionCreated(String sessionId, String agent, String model, String cwd, long at)
      implements Event {}

  /** {@code sender}: client (the user's message), agent (an update), system (turn end). */
  @JsonTypeName("sandbox.transcript-entry-appended")
  public record TranscriptEntryAppended(
      String sessionId, String turnId, String sender, String kind, String payloadJson, long at)
      implements Event {}

  /** {@code status}: idle, running, error, closed. */
  @JsonTypeName("sandbox.session-status-changed")
  public record SessionStatusChanged(
      String sessionId, String status, String turnId, String errorMessage, long at)
      implements Event {}

  @JsonTypeName("sandbox.session-model-changed")
  public record SessionModelChanged(String sessionId, String model, long at) implements Event {}

  @JsonTypeName("sandbox.git-state-refreshed")
  public record GitStateRefreshed(GitState state, long at) implements Event {}

  @JsonTypeName("sandbox.file-reverted")
  public record FileReverted(String path, long at) implements Event {}

  @JsonTypeName("sandbox.branch-pushed")
  public record BranchPushed(String branch, String headCommit, long at) implements Event {}

  /** The branch was rebased onto {@code base} at {@code baseCommit}. */
  @JsonTypeName("sandbox.branch-synced")
  public record BranchSynced(String base, String baseCommit, String headCommit, long at)
      implements Event {}

  /** The branch's head {@code headCommit} was pushed to the remote's {@code base}. */
  @JsonTypeName("sandbox.branch-merged")
  public record BranchMerged(String base, String headCommit, long at) implements Event {}

  @JsonTypeName("sandbox.process-started")
  public record ProcessStarted(
      String processId, String command, List<String> args, String cwd, long at) implements Event {}

  @JsonTypeName("sandbox.process-stopped")
  public record ProcessStopped(String processId, long at) implements Event {}

  @JsonTypeName("sandbox.destroyed")
  public record SandboxDestroyed(long at) implements Event {}
}
