package dev.foundry.sandbox.process;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run in the sandbox. Always give an absolute {@code cwd}: without one the server uses
 * its own working directory. The child inherits the server's environment plus {@code env}.
 *
 * <p>{@code timeout} applies to {@link SandboxProcesses#run}: the server kills only the direct
 * child on timeout, so wrap shell pipelines as {@code sh -c 'exec ...'} where it matters.
 */
public record ProcessRequest(
    String command,
    List<String> args,
    String cwd,
    Map<String, String> env,
    Duration timeout,
    Long maxOutputBytes,
    boolean interactive,
    boolean tty) {

  public ProcessRequest {
    Objects.requireNonNull(command, "command");
    args = List.copyOf(args);
    env = Map.copyOf(env);
  }

  public static ProcessRequest of(String command, String... args) {
    return new ProcessRequest(command, List.of(args), null, Map.of(), null, null, false, false);
  }

  public static ProcessRequest of(String command, List<String> args) {
    return new ProcessRequest(command, args, null, Map.of(), null, null, false, false);
  }

  /** {@code sh -c script}. */
  public static ProcessRequest shell(String script) {
    return of("sh", "-c", script);
  }

  public ProcessRequest withCwd(String cwd) {
    return new ProcessRequest(command, args, cwd, env, timeout, maxOutputBytes, interactive, tty);
  }

  public ProcessRequest withEnv(Map<String, String> extra) {
    Map<String, String> merged = new LinkedHashMap<>(env);
    merged.putAll(extra);
    return new ProcessRequest(
        command, args, cwd, merged, timeout, maxOutputBytes, interactive, tty);
  }

  public ProcessRequest withEnv(String name, String value) {
    return withEnv(Map.of(name, value));
  }

  public ProcessRequest withTimeout(Duration timeout) {
    return new ProcessRequest(command, args, cwd, env, timeout, maxOutputBytes, interactive, tty);
  }

  public ProcessRequest withMaxOutputBytes(long maxOutputBytes) {
    return new ProcessRequest(command, args, cwd, env, timeout, maxOutputBytes, interactive, tty);
  }

  /** Background processes only: accept {@link SandboxProcesses#input} on stdin. */
  public ProcessRequest asInteractive() {
    return new ProcessRequest(command, args, cwd, env, timeout, maxOutputBytes, true, tty);
  }

  @Override
  public String toString() {
    // env may carry secrets (tokens for git); never log its values.
    return "ProcessRequest[" + command + " " + args + (cwd == null ? "" : " in " + cwd) + "]";
  }
}
