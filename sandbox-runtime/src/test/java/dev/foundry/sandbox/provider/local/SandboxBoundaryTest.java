package dev.foundry.sandbox.provider.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxProvider.SandboxSummary;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.SandboxState;
import dev.foundry.sandbox.support.SandboxAgentBinary;
import dev.foundry.sandbox.support.TestSandboxes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a local sandbox keeps from the backend, against the real server: its environment is an
 * allow-list (the test JVM's own environment carries a secret, set by this module's surefire
 * configuration, and the provider's host environment carries more), its token is not on its command
 * line, its root is {@code 0700}, and sandboxes of an earlier root keep working.
 */
class SandboxBoundaryTest {

  private static final String JVM_SECRET = "FOUNDRY_TEST_BACKEND_SECRET";

  /** Variables the provider itself sets (besides the allow-listed ones of the backend). */
  private static final Set<String> SET_BY_THE_PROVIDER =
      Set.of(
          "HOME",
          "TMPDIR",
          "XDG_DATA_HOME",
          "XDG_STATE_HOME",
          "XDG_CACHE_HOME",
          "XDG_CONFIG_HOME",
          "SANDBOX_AGENT_LOG_STDOUT",
          "SANDBOX_AGENT_ACP_REQUEST_TIMEOUT_MS");

  private TestSandboxes sandboxes;
  private TestSandboxes legacy;

  @AfterEach
  void cleanUp() {
    if (sandboxes != null) {
      sandboxes.close();
    }
    if (legacy != null) {
      legacy.close();
    }
  }

  @Test
  void aSandboxProcessSeesTheAllowListAndTheSpecButNoBackendSecret() {
    assertThat(System.getenv(JVM_SECRET))
        .as("the surefire configuration of sandbox-runtime puts %s in the JVM", JVM_SECRET)
        .isNotBlank();
    Map<String, String> backend = new HashMap<>(System.getenv());
    backend.put("BETTER_AUTH_SECRET", "better-auth-canary-1b2e");
    backend.put("STRIPE_SECRET_KEY", "sk_test_stripe-canary-93ad");
    backend.put("SSH_AUTH_SOCK", "/tmp/ssh-canary/agent.1");
    backend.put("LC_TIME", "C.UTF-8");
    backend.put("TZ", "Europe/Berlin");
    sandboxes = new TestSandboxes("env", s -> s.withHostEnvironment(backend));

    Sandbox sandbox =
        sandboxes
            .provider()
            .create(
                SandboxSpec.of("env-1")
                    .withOfflineAgent(false)
                    .withEnv(
                        Map.of(
                            "GIT_AUTHOR_NAME", "Alice Example",
                            "ANTHROPIC_API_KEY", "sk-ant-of-the-owner")))
            .orTimeout(60, TimeUnit.SECONDS)
            .join();
    Map<String, String> seen;
    try {
      String out = sandbox.client().processes().run(ProcessRequest.of("env")).join().stdout();
      seen = parse(out);
    } finally {
      sandbox.close();
    }

    assertThat(seen.values())
        .doesNotContain(
            System.getenv(JVM_SECRET),
            "better-auth-canary-1b2e",
            "sk_test_stripe-canary-93ad",
            "/tmp/ssh-canary/agent.1");
    assertThat(seen)
        .doesNotContainKeys(
            JVM_SECRET, "BETTER_AUTH_SECRET", "STRIPE_SECRET_KEY", "SSH_AUTH_SOCK", "JAVA_HOME");
    // Whatever else this JVM's environment holds stays out unless allow-listed.
    for (String name : System.getenv().keySet()) {
      if (!SandboxEnvironment.passed(name) && !SET_BY_THE_PROVIDER.contains(name)) {
        assertThat(seen).as("the backend's %s", name).doesNotContainKey(name);
      }
    }
    // The allow-listed variables come from the backend, the spec's are there, the dirs are own.
    assertThat(seen)
        .containsEntry("LC_TIME", "C.UTF-8")
        .containsEntry("TZ", "Europe/Berlin")
        .containsEntry("GIT_AUTHOR_NAME", "Alice Example")
        .containsEntry("ANTHROPIC_API_KEY", "sk-ant-of-the-owner")
        .containsEntry("HOME", sandbox.homeDir())
        .containsEntry("TMPDIR", sandboxes.root().resolve("env-1/state/tmp").toString())
        .containsEntry(
            "XDG_CONFIG_HOME", sandboxes.root().resolve("env-1/state/config").toString());
    if (backend.containsKey("PATH")) {
      assertThat(seen).containsEntry("PATH", backend.get("PATH"));
    }
  }

  @Test
  void theServersTokenIsNotOnItsCommandLineAndStillGuardsIt() throws Exception {
    sandboxes = new TestSandboxes("token");
    Sandbox sandbox = sandboxes.create("token-1", false);
    long pid = sandboxes.serverPid("token-1");
    String token = sandbox.endpoint().token();

    String cmdline = TestSandboxes.commandLine(pid);
    assertThat(cmdline).contains("sandbox-agent", "--token").doesNotContain(token);
    // Nowhere in the tree either, and the server still requires the token it parsed.
    for (ProcessTree.ProcessStat member : ProcessTree.members(pid)) {
      assertThat(TestSandboxes.commandLine(member.pid())).doesNotContain(token);
    }
    sandbox.client().health().get(10, TimeUnit.SECONDS);
    var http = java.net.http.HttpClient.newHttpClient();
    var unauthenticated =
        http.send(
            java.net.http.HttpRequest.newBuilder(sandbox.endpoint().baseUri().resolve("/v1/health"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(unauthenticated.statusCode()).isEqualTo(401);
    var withStars =
        http.send(
            java.net.http.HttpRequest.newBuilder(sandbox.endpoint().baseUri().resolve("/v1/health"))
                .header("Authorization", "Bearer " + "*".repeat(token.length()))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(withStars.statusCode()).isEqualTo(401);

    // A restart on connect blanks the new server's command line too.
    ProcessTree.terminate(pid, TestSandboxes.seconds(2));
    Sandbox back = sandboxes.provider().connect("token-1").orTimeout(30, TimeUnit.SECONDS).join();
    long again = sandboxes.serverPid("token-1");
    assertThat(again).isNotEqualTo(pid);
    assertThat(TestSandboxes.commandLine(again)).contains("--token").doesNotContain(token);
    back.client().health().get(10, TimeUnit.SECONDS);
    back.close();
  }

  @Test
  void theRootIsCreatedOwnerOnlyAndSoIsEachSandbox() throws Exception {
    sandboxes =
        new TestSandboxes(
            "root",
            s ->
                LocalSandboxSettings.of(
                    s.rootDir().resolve("nested/sandboxes"), s.binary(), s.executor()));
    Path root = sandboxes.provider().settings().rootDir();
    assertThat(mode(root)).isEqualTo("rwx------");
    sandboxes.create("root-1", false);
    assertThat(mode(root.resolve("root-1"))).isEqualTo("rwx------");
    assertThat(mode(root.resolve("root-1/sandbox.json"))).isEqualTo("rw-------");

    // An existing root with a looser mode is tightened.
    Path loose = sandboxes.root().resolve("loose");
    Files.createDirectories(loose);
    Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rwxr-xr-x"));
    new LocalSandboxProvider(
        LocalSandboxSettings.of(loose, SandboxAgentBinary.path(), sandboxes.executor()));
    assertThat(mode(loose)).isEqualTo("rwx------");
  }

  @Test
  void sandboxesOfAnEarlierRootKeepWorkingUntilDestroyed() {
    legacy = new TestSandboxes("legacy");
    Sandbox old = legacy.create("old-1", false);
    long pid = legacy.serverPid("old-1");
    old.client().files().writeText(old.workDir() + "/kept.txt", "from before").join();
    old.close();

    sandboxes = new TestSandboxes("moved", s -> s.withLegacyRoots(List.of(legacy.root())));
    LocalSandboxProvider provider = sandboxes.provider();

    assertThat(provider.list().join())
        .containsExactly(new SandboxSummary("old-1", SandboxState.RUNNING));
    Sandbox again = provider.connect("old-1").orTimeout(30, TimeUnit.SECONDS).join();
    assertThat(provider.serverPid("old-1")).contains(pid);
    assertThat(again.client().files().readText(again.workDir() + "/kept.txt").join())
        .isEqualTo("from before");
    again.close();

    // Stopped and resumed, it stays where it is; a new sandbox goes to the new root.
    provider.stop("old-1").orTimeout(30, TimeUnit.SECONDS).join();
    Sandbox resumed = provider.connect("old-1").orTimeout(30, TimeUnit.SECONDS).join();
    assertThat(resumed.workDir()).startsWith(legacy.root().toString());
    resumed.close();
    Sandbox fresh = sandboxes.create("new-1", false);
    assertThat(fresh.workDir()).startsWith(sandboxes.root().toString());

    provider.destroy("old-1").orTimeout(30, TimeUnit.SECONDS).join();
    assertThat(legacy.root().resolve("old-1")).doesNotExist();
    assertThat(provider.state("old-1").join()).isEqualTo(SandboxState.NOT_FOUND);
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  /** {@code env}'s output; a value may hold newlines, so only NAME=... lines start entries. */
  private static Map<String, String> parse(String out) {
    Map<String, String> env = new LinkedHashMap<>();
    String last = null;
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0 && line.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*")) {
        last = line.substring(0, eq);
        env.put(last, line.substring(eq + 1));
      } else if (last != null) {
        env.put(last, env.get(last) + "\n" + line);
      }
    }
    assertThat(env).as("env printed: %s", out).isNotEmpty();
    return env;
  }
}
