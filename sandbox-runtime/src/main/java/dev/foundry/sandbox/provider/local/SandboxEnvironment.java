package dev.foundry.sandbox.provider.local;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The whole environment of a local sandbox's server, and so of every agent and process it starts:
 * built from nothing, never from a copy of the backend's. From the backend's environment only the
 * names {@link #passed(String)} allows are taken (the program search path, locale, terminal, time
 * zone and the OS user's name and shell, none of them a secret); {@code HOME}, {@code TMPDIR} and
 * the XDG directories point into the sandbox; then the server's own settings; then what the {@code
 * SandboxSpec} adds (git identity, the owner's credentials, agent keys). A backend secret such as
 * {@code BETTER_AUTH_SECRET}, {@code STRIPE_SECRET_KEY}, {@code SSH_AUTH_SOCK} or {@code
 * XDG_RUNTIME_DIR} reaches a sandbox only if the spec names it.
 */
public final class SandboxEnvironment {

  /** Variables of the backend that a sandbox gets as they are (plus every {@code LC_*}). */
  public static final Set<String> PASSED =
      Set.of("PATH", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "SHELL");

  static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

  private SandboxEnvironment() {}

  /** True for the backend variables a sandbox inherits: {@link #PASSED} and {@code LC_*}. */
  public static boolean passed(String name) {
    return PASSED.contains(name) || name.matches("LC_[A-Z]+");
  }

  /**
   * The server's environment.
   *
   * @param host the backend's environment (only allowed names are read)
   * @param sandboxDir {@code <root>/<sandboxId>}
   * @param record the sandbox's record: home and data directories, the spec's env
   * @param server the server's own variables ({@code SANDBOX_AGENT_*})
   */
  static Map<String, String> of(
      Map<String, String> host,
      Path sandboxDir,
      LocalSandboxRecord record,
      Map<String, String> server) {
    Map<String, String> env = new TreeMap<>();
    host.forEach(
        (name, value) -> {
          if (passed(name)) {
            env.put(name, value);
          }
        });
    env.putIfAbsent("PATH", DEFAULT_PATH);
    env.putIfAbsent("LANG", "C.UTF-8");
    env.putIfAbsent("TERM", "dumb");
    Path state = sandboxDir.resolve("state");
    env.put("HOME", record.homeDir());
    env.put("XDG_DATA_HOME", record.dataDir());
    env.put("XDG_STATE_HOME", state.resolve("state").toString());
    env.put("XDG_CACHE_HOME", state.resolve("cache").toString());
    env.put("XDG_CONFIG_HOME", state.resolve("config").toString());
    env.put("TMPDIR", tmpDir(sandboxDir).toString());
    env.putAll(server);
    env.putAll(record.env());
    return env;
  }

  /** The sandbox's own temporary directory ({@code TMPDIR}). */
  static Path tmpDir(Path sandboxDir) {
    return sandboxDir.resolve("state").resolve("tmp");
  }
}
