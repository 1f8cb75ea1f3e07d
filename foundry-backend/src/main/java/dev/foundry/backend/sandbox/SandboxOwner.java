package dev.foundry.backend.sandbox;

import static dev.foundry.backend.sandbox.SandboxScope.blank;
import static dev.foundry.backend.sandbox.SandboxScope.now;

import dev.foundry.backend.protocol.SandboxProtocol.StoreGitCredentials;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.backend.sandbox.SandboxEvents.AgentKeysReplaced;
import dev.foundry.backend.sandbox.SandboxEvents.Event;
import dev.foundry.backend.sandbox.SandboxEvents.GitCredentialsStored;
import dev.foundry.backend.sandbox.SandboxEvents.SessionStatusChanged;
import dev.foundry.backend.sandbox.SandboxTables.SessionRow;
import dev.foundry.sandbox.git.GitCredentials;
import dev.foundry.sandbox.git.SandboxGit;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.session.AgentSession;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Whose sandbox it is: the owner's git credentials and identity, and the owner's agent keys, which
 * live in the environment of the sandbox's server and so of every agent and process it starts. A
 * new owner's credentials are written over the old ones; their keys cannot be written over an
 * environment, so the server restarts with the new owner's keys first: no process that saw the
 * previous owner's keys survives (sessions keep their transcripts and get a new agent process on
 * their next message; a turn running then ends as interrupted).
 */
final class SandboxOwner {

  static final String OWNER_CHANGED =
      "the task's owner changed: the sandbox restarted with the new owner's agent keys";

  private final SandboxScope scope;

  SandboxOwner(SandboxScope scope) {
    this.scope = scope;
  }

  Decision<Void> storeGitCredentials(StoreGitCredentials cmd, SandboxTables t) {
    if (blank(cmd.ownerUserId())) {
      return Decision.reject("invalid_owner", "ownerUserId is required");
    }
    String keysOwner = t.agentKeysOwner();
    if (keysOwner != null && !keysOwner.equals(cmd.ownerUserId()) && t.sandbox() != null) {
      return scope.withSandbox(t, sb -> replaceOwner(cmd, t));
    }
    return scope.withSandbox(
        t,
        sb ->
            Decision.after(
                writeCredentials(sb, cmd), creds -> Decision.<Void>persist(stored(cmd, creds))));
  }

  private Decision<Void> replaceOwner(StoreGitCredentials cmd, SandboxTables t) {
    List<Event> events = new ArrayList<>();
    for (SessionRow s : t.sessions()) {
      if ("running".equals(s.status())) {
        events.add(
            new SessionStatusChanged(s.sessionId(), "error", s.turnId(), OWNER_CHANGED, now()));
      }
    }
    // The agents go first, quietly: their end is this command's doing, not a failure to report.
    List<AgentSession> open = new ArrayList<>(scope.live.sessions.values());
    scope.live.sessions.clear();
    scope.live.turns.clear();
    String sandboxId = t.sandbox().sandboxId();
    CompletionStage<Replaced> io =
        CompletableFuture.allOf(
                open.stream()
                    .map(s -> s.closeAsync().exceptionally(failure -> null))
                    .toArray(CompletableFuture[]::new))
            .thenCompose(v -> scope.host.agentKeys().keysFor(cmd.ownerUserId()))
            .thenCompose(keys -> scope.host.provider().restart(sandboxId, keys))
            .thenCompose(
                sb -> writeCredentials(sb, cmd).thenApply(creds -> new Replaced(sb, creds)));
    return Decision.after(
        SandboxActor.LONG_WORK_IO_TIMEOUT,
        io,
        replaced -> {
          scope.attach(replaced.sandbox());
          scope.log.info(
              "sandbox of {} restarted for its new owner {}",
              scope.address.key(),
              cmd.ownerUserId());
          events.add(
              new AgentKeysReplaced(
                  cmd.ownerUserId(), replaced.sandbox().endpoint().baseUri().toString(), now()));
          events.add(stored(cmd, replaced.credentials()));
          return Decision.persist(events);
        },
        failure -> {
          // The old handle may point at a server that is gone: the next command reconnects.
          scope.detach();
          return Decision.reject("owner_change_failed", Failures.message(failure));
        });
  }

  private record Replaced(Sandbox sandbox, List<GitCredentials> credentials) {}

  private CompletionStage<List<GitCredentials>> writeCredentials(
      Sandbox sb, StoreGitCredentials cmd) {
    SandboxGit git = new SandboxGit(sb.client(), sb.homeDir());
    return scope
        .host
        .credentials()
        .credentialsFor(scope.address.organizationId(), cmd.ownerUserId())
        .thenCompose(
            creds ->
                git.storeCredentials(creds)
                    .thenCompose(v -> identity(git, "user.name", cmd.login()))
                    .thenCompose(v -> identity(git, "user.email", cmd.email()))
                    .thenApply(v -> creds));
  }

  private static GitCredentialsStored stored(StoreGitCredentials cmd, List<GitCredentials> creds) {
    List<String> hosts = new ArrayList<>();
    creds.forEach(c -> hosts.add(c.url().toString()));
    return new GitCredentialsStored(cmd.ownerUserId(), cmd.login(), cmd.email(), hosts, now());
  }

  private static CompletionStage<Void> identity(SandboxGit git, String key, String value) {
    if (blank(value)) {
      return CompletableFuture.completedFuture(null);
    }
    return git.git(null, "config", "--global", key, value).thenAccept(r -> r.orThrow(key));
  }
}
