package dev.foundry.backend.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The real sandbox-agent binary, found the way sandbox-runtime's tests find it: {@code
 * SANDBOX_AGENT_BIN}, else what {@code scripts/sandbox-agent-bin} prints (it installs from npm
 * once).
 */
public final class SandboxAgentBin {
  private static Path cached;

  private SandboxAgentBin() {}

  public static synchronized Path path() throws IOException, InterruptedException {
    if (cached != null) {
      return cached;
    }
    String fromEnv = System.getenv("SANDBOX_AGENT_BIN");
    if (fromEnv != null && !fromEnv.isBlank()) {
      cached = Path.of(fromEnv);
      return cached;
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isExecutable(dir.resolve("scripts/sandbox-agent-bin"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("scripts/sandbox-agent-bin not found; set SANDBOX_AGENT_BIN");
    }
    Process p =
        new ProcessBuilder(dir.resolve("scripts/sandbox-agent-bin").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("scripts/sandbox-agent-bin failed; is npm available?");
    }
    cached = Path.of(out.strip());
    return cached;
  }
}
