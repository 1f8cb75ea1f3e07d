package dev.foundry.sandbox.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The real sandbox-agent binary for tests: {@code SANDBOX_AGENT_BIN} if set, else whatever {@code
 * scripts/sandbox-agent-bin} (which fetches it from npm once) prints. A fresh clone therefore needs
 * nothing installed by hand.
 */
public final class SandboxAgentBinary {

  private static Path cached;

  private SandboxAgentBinary() {}

  public static synchronized Path path() {
    if (cached == null) {
      cached = locate();
    }
    return cached;
  }

  private static Path locate() {
    String fromEnv = System.getenv("SANDBOX_AGENT_BIN");
    if (fromEnv != null && !fromEnv.isBlank()) {
      Path p = Path.of(fromEnv);
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException("SANDBOX_AGENT_BIN is not executable: " + p);
      }
      return p;
    }
    Path script = repositoryRoot().resolve("scripts/sandbox-agent-bin");
    try {
      Process process =
          new ProcessBuilder(script.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
        throw new IllegalStateException(script + " failed; is npm available?");
      }
      return Path.of(out.strip());
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Walks up from the working directory (the module when Maven runs tests) to the repo root. */
  public static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.isExecutable(dir.resolve("scripts/sandbox-agent-bin"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "scripts/sandbox-agent-bin not found above " + Path.of("").toAbsolutePath());
  }
}
