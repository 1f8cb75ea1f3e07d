package dev.foundry.backend.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import dev.foundry.backend.testing.Git;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The browser suite: the console served by a real backend (real sandboxes with the real
 * sandbox-agent and its offline agent), driven in Debian's chromium by playwright-core
 * (src/test/resources/browser/console-suite.mjs). It signs in, adds a local repository, creates a
 * task, sees the agent's answer stream in, sends a second message, stops a slow turn, pushes,
 * archives, and finds a failed command with its reason in the inspector. Screenshots of the main
 * screens go to target/console-screenshots/ (copied into docs/console/ for the documentation).
 *
 * <p>Chromium is a requirement, not an option: without {@code /usr/bin/chromium} (Debian's {@code
 * chromium} package, which .ci/run installs) this test fails and says so.
 */
class ConsoleBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  /** Outside the test's temporary directory, so that it is still there to look at. */
  private static final Path FAILURE_SHOT = Path.of("target", "console-suite-failure.png");

  private static final String ADMIN_TOKEN = "inspector-token-for-the-browser-suite";

  @TempDir Path dir;

  private ApiServer server;
  private String remote;

  @BeforeEach
  void start() throws Exception {
    Path bare = Git.seedRemote(dir);
    remote = bare.toUri().toString();
    server =
        ApiServer.start(
            dir,
            Map.of(
                "SANDBOX_AGENT_BIN",
                SandboxAgentBin.path().toString(),
                "FOUNDRY_SANDBOX_SHARED_PATHS",
                bare.toString(),
                "FOUNDRY_ADMIN_TOKEN",
                ADMIN_TOKEN));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aWholeSessionInTheConsoleAndAFailedCommandInTheInspector() throws Exception {
    assertThat(Files.isExecutable(CHROMIUM))
        .as("the browser suite needs Debian's chromium at %s: apt-get install chromium", CHROMIUM)
        .isTrue();
    Path root = repositoryRoot();
    // Not into docs/ directly: a test run must not leave the work tree changed. docs/console/
    // holds copies of these (docs/console.md says how to refresh them).
    Path shots = Path.of("target", "console-screenshots").toAbsolutePath();
    Files.createDirectories(shots);
    Path script = Path.of("src/test/resources/browser/console-suite.mjs").toAbsolutePath();
    Path output = dir.resolve("suite.log");
    ProcessBuilder node =
        new ProcessBuilder("node", script.toString())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    node.environment().put("NODE_PATH", playwrightCore(root));
    node.environment().put("BASE", server.base());
    node.environment().put("REPO_URL", remote);
    node.environment().put("ADMIN_TOKEN", ADMIN_TOKEN);
    node.environment().put("SHOTS", shots.toString());
    node.environment().put("CHROMIUM", CHROMIUM.toString());
    node.environment().put("FAILURE_SHOT", FAILURE_SHOT.toAbsolutePath().toString());
    Process run = node.start();
    boolean finished = run.waitFor(8, TimeUnit.MINUTES);
    if (!finished) {
      run.destroyForcibly();
    }
    String log = Files.readString(output, StandardCharsets.UTF_8);
    assertThat(finished).as("the browser suite did not finish:\n%s", log).isTrue();
    assertThat(run.exitValue())
        .as(
            "browser suite output (a screenshot of the failure: %s):\n%s",
            FAILURE_SHOT.toAbsolutePath(), log)
        .isZero();
    assertThat(log)
        .as("browser suite output")
        .contains("SUITE PASSED")
        .contains("failed command reason: ");
  }

  /**
   * The node_modules holding playwright-core, installed from npm by scripts/playwright-core-dir.
   */
  private static String playwrightCore(Path root) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(root.resolve("scripts/playwright-core-dir").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0)
        .as("scripts/playwright-core-dir failed")
        .isTrue();
    return out;
  }

  /** The repository's root: the test runs in foundry-backend/. */
  private static Path repositoryRoot() {
    Path here = Path.of("").toAbsolutePath();
    return Files.exists(here.resolve("scripts")) ? here : here.getParent();
  }
}
