package dev.foundry.sandbox.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Confines a client to one sandbox of a server that serves several (the {@code remote} provider):
 * processes start in {@code workDir} unless given a cwd inside {@code rootDir} (a cwd outside it is
 * refused), with {@code env} under their own variables; the process list shows only processes whose
 * cwd is inside {@code rootDir}; ACP instances get {@code acpPrefix} in front of their id and the
 * instance list shows only those. This is bookkeeping for a shared server, not isolation: a process
 * of one sandbox can still reach every file and process the server's user can.
 *
 * @param rootDir the sandbox's directory on the server, absolute
 * @param workDir where processes run by default, inside {@code rootDir}
 * @param env variables every process of the sandbox gets (its own win)
 * @param acpPrefix prepended to every ACP server id of the sandbox
 */
public record ClientScope(
    String rootDir, String workDir, Map<String, String> env, String acpPrefix) {

  public ClientScope {
    Objects.requireNonNull(rootDir, "rootDir");
    Objects.requireNonNull(workDir, "workDir");
    Objects.requireNonNull(acpPrefix, "acpPrefix");
    if (!rootDir.startsWith("/") || rootDir.endsWith("/")) {
      throw new IllegalArgumentException(
          "rootDir must be absolute without a trailing /: " + rootDir);
    }
    env = Map.copyOf(env);
  }

  /** Whether an absolute path is the sandbox's directory or inside it (no {@code ..} segments). */
  public boolean contains(String path) {
    if (path == null || path.contains("/../") || path.endsWith("/..")) {
      return false;
    }
    return path.equals(rootDir) || path.startsWith(rootDir + "/");
  }

  /** The process's cwd: {@code workDir} when absent; refused outside the sandbox's directory. */
  public String cwdFor(String requested) {
    if (requested == null || requested.isBlank()) {
      return workDir;
    }
    if (!contains(requested)) {
      throw new InvalidRequestException(
          "cwd " + requested + " is outside this sandbox's directory " + rootDir, 400, null);
    }
    return requested;
  }

  /** The scope's variables with the request's on top. */
  public Map<String, String> envFor(Map<String, String> requested) {
    Map<String, String> merged = new LinkedHashMap<>(env);
    merged.putAll(requested);
    return merged;
  }

  /** The ACP server id on the server for an id the caller picked; idempotent. */
  public String serverId(String requested) {
    return requested.startsWith(acpPrefix) ? requested : acpPrefix + requested;
  }

  @Override
  public String toString() {
    // env may carry credentials: never log its values.
    return "ClientScope[" + rootDir + ", env keys " + env.keySet() + "]";
  }
}
