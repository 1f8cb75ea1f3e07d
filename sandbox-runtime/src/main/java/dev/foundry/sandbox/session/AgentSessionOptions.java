package dev.foundry.sandbox.session;

import dev.foundry.sandbox.acp.AcpConnectionOptions;
import java.time.Duration;
import java.util.Objects;

/**
 * How to open an {@link AgentSession}.
 *
 * @param agent the agent id ({@code mock} runs our offline agent when it is installed in its place,
 *     see {@code OfflineAgentLauncher}; {@code claude}, {@code codex}, ... need network)
 * @param cwd absolute working directory of the session inside the sandbox (the repository)
 * @param permissions decides the agent's permission requests
 * @param listener receives every update of the session; may be null
 * @param requestTimeout deadline of ordinary requests (initialize, session/new, set_mode, ...)
 * @param promptTimeout deadline of a whole turn; keep the server's {@code
 *     SANDBOX_AGENT_ACP_REQUEST_TIMEOUT_MS} above it
 */
public record AgentSessionOptions(
    String agent,
    String cwd,
    PermissionHandler permissions,
    SessionListener listener,
    Duration requestTimeout,
    Duration promptTimeout) {

  public static final Duration DEFAULT_PROMPT_TIMEOUT = Duration.ofMinutes(30);

  public AgentSessionOptions {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(cwd, "cwd");
    if (!cwd.startsWith("/")) {
      throw new IllegalArgumentException("session cwd must be absolute: " + cwd);
    }
    permissions = permissions == null ? PermissionHandler.cancelAll() : permissions;
    requestTimeout =
        requestTimeout == null ? AcpConnectionOptions.DEFAULT_REQUEST_TIMEOUT : requestTimeout;
    promptTimeout = promptTimeout == null ? DEFAULT_PROMPT_TIMEOUT : promptTimeout;
  }

  public static AgentSessionOptions of(String agent, String cwd) {
    return new AgentSessionOptions(agent, cwd, null, null, null, null);
  }

  public AgentSessionOptions withPermissions(PermissionHandler permissions) {
    return new AgentSessionOptions(
        agent, cwd, permissions, listener, requestTimeout, promptTimeout);
  }

  public AgentSessionOptions withListener(SessionListener listener) {
    return new AgentSessionOptions(
        agent, cwd, permissions, listener, requestTimeout, promptTimeout);
  }

  public AgentSessionOptions withRequestTimeout(Duration requestTimeout) {
    return new AgentSessionOptions(
        agent, cwd, permissions, listener, requestTimeout, promptTimeout);
  }

  public AgentSessionOptions withPromptTimeout(Duration promptTimeout) {
    return new AgentSessionOptions(
        agent, cwd, permissions, listener, requestTimeout, promptTimeout);
  }
}
