package dev.foundry.sandbox.process;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * A background process as the server reports it. {@code exitCode} is absent after a death by
 * signal; {@code pid} is the host pid for the local provider.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProcessInfo(
    String id,
    String command,
    List<String> args,
    String cwd,
    boolean tty,
    boolean interactive,
    String owner,
    String status,
    Long pid,
    Integer exitCode,
    Long createdAtMs,
    Long exitedAtMs) {

  public boolean running() {
    return "running".equals(status);
  }

  public boolean exited() {
    return "exited".equals(status);
  }
}
