package dev.foundry.sandbox.provider;

import java.util.Map;
import java.util.Objects;

/**
 * What to create.
 *
 * @param sandboxId the caller's id for the sandbox (Foundry: the task id); letters, digits, {@code
 *     .-_} only, because providers use it in paths and resource names
 * @param env extra environment of the server and so of every agent and process in the sandbox (API
 *     keys for real agents)
 * @param offlineAgent install Foundry's offline agent in the {@code mock} slot
 */
public record SandboxSpec(String sandboxId, Map<String, String> env, boolean offlineAgent) {

  public SandboxSpec {
    Objects.requireNonNull(sandboxId, "sandboxId");
    if (!sandboxId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
      throw new IllegalArgumentException("invalid sandbox id: " + sandboxId);
    }
    env = Map.copyOf(env);
  }

  public static SandboxSpec of(String sandboxId) {
    return new SandboxSpec(sandboxId, Map.of(), true);
  }

  public SandboxSpec withEnv(Map<String, String> env) {
    return new SandboxSpec(sandboxId, env, offlineAgent);
  }

  public SandboxSpec withOfflineAgent(boolean offlineAgent) {
    return new SandboxSpec(sandboxId, env, offlineAgent);
  }

  @Override
  public String toString() {
    return "SandboxSpec["
        + sandboxId
        + ", env keys "
        + env.keySet()
        + ", offlineAgent="
        + offlineAgent
        + "]";
  }
}
