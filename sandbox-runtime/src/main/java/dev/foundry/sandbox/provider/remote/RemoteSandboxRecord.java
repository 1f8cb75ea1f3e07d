package dev.foundry.sandbox.provider.remote;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/**
 * What the remote provider writes to {@code <root>/<id>/sandbox.json} on the server, so that a
 * restarted backend finds the sandbox again: its spec and whether it is stopped. Field names are
 * the stored format.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record RemoteSandboxRecord(
    int version,
    String sandboxId,
    Map<String, String> env,
    boolean offlineAgent,
    boolean stopped,
    long createdAtMs) {

  static final String FILE_NAME = "sandbox.json";

  RemoteSandboxRecord {
    env = env == null ? Map.of() : Map.copyOf(env);
  }

  RemoteSandboxRecord withStopped(boolean stopped) {
    return new RemoteSandboxRecord(version, sandboxId, env, offlineAgent, stopped, createdAtMs);
  }

  RemoteSandboxRecord withEnv(Map<String, String> env) {
    return new RemoteSandboxRecord(version, sandboxId, env, offlineAgent, stopped, createdAtMs);
  }

  @Override
  public String toString() {
    return "RemoteSandboxRecord[" + sandboxId + ", env keys " + env.keySet() + "]";
  }
}
