package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.sandbox.SandboxAgentBin;
import dev.foundry.backend.testing.Git;
import dev.foundry.sandbox.provider.local.SandboxEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a member reaches from inside a task's sandbox through {@code POST .../sandbox/processes},
 * against the real backend and the real sandbox-agent: the backend's environment (its secrets as an
 * operator sets them, and this JVM's own variables) stays out; the sandbox lives outside the data
 * directory in an owner-only root; its server's token is not on its command line.
 */
class SandboxBoundaryHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Variables the provider sets itself (besides the allow-listed ones of the backend). */
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

  @TempDir Path dir;

  private ApiServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aSandboxProcessSeesNoBackendSecretAndTheSandboxLivesOutsideTheDataDirectory()
      throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("SANDBOX_AGENT_BIN", SandboxAgentBin.path().toString());
    env.put("BETTER_AUTH_SECRET", "better-auth-canary-5d1f");
    env.put("GITHUB_CLIENT_SECRET", "github-client-canary-0c7a");
    env.put("FOUNDRY_CREDENTIALS_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("LC_MESSAGES", "C.UTF-8");
    server = ApiServer.start(dir, env);
    Browser alice = server.browser();
    String org = alice.signIn("alice").json().path("activeOrganizationId").asText();
    String base = "/v1/organizations/" + org;
    String remote = Git.seedRemote(dir).toUri().toString();
    String repoId =
        created(alice.post(base + "/repos", "{\"remoteUrl\":\"" + remote + "\"}"))
            .path("repoId")
            .asText();
    String taskId =
        created(alice.post(base + "/tasks", "{\"repoId\":\"" + repoId + "\",\"task\":\"hi\"}"))
            .path("id")
            .asText();
    String task = base + "/tasks/" + taskId;
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> alice.get(task + "/sandbox").json().path("state").asText(), "running"::equals);

    String processId =
        created(
                alice.post(
                    task + "/sandbox/processes",
                    "{\"command\":\"sh\",\"args\":[\"-c\",\"env; echo END-OF-ENV\"]}"))
            .path("id")
            .asText();
    String[] out = new String[1];
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              out[0] = stdout(ok(alice.get(task + "/sandbox/processes/" + processId + "/logs")));
              return out[0].contains("END-OF-ENV");
            });
    Map<String, String> seen = parse(out[0].substring(0, out[0].indexOf("END-OF-ENV")));

    assertThat(seen.values())
        .doesNotContain(
            "better-auth-canary-5d1f",
            "github-client-canary-0c7a",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assertThat(seen)
        .doesNotContainKeys(
            "BETTER_AUTH_SECRET",
            "GITHUB_CLIENT_SECRET",
            "FOUNDRY_CREDENTIALS_KEY",
            "SANDBOX_AGENT_BIN",
            "FOUNDRY_DATA_DIR");
    // Nothing of this JVM's own environment either, unless allow-listed (sh sets its own PWD,
    // OLDPWD, SHLVL and _).
    for (String name : System.getenv().keySet()) {
      if (!SandboxEnvironment.passed(name)
          && !SET_BY_THE_PROVIDER.contains(name)
          && !Set.of("PWD", "OLDPWD", "SHLVL", "_").contains(name)) {
        assertThat(seen).as("the backend JVM's %s", name).doesNotContainKey(name);
      }
    }
    assertThat(seen).containsEntry("LC_MESSAGES", "C.UTF-8").containsEntry("PATH", env.get("PATH"));

    // The sandbox is under <data>-sandboxes, owner-only; the data directory holds no sandbox.
    Path data = dir.resolve("data");
    Path root = dir.resolve("data-sandboxes");
    assertThat(mode(root)).isEqualTo("rwx------");
    assertThat(mode(root.resolve(taskId))).isEqualTo("rwx------");
    assertThat(seen.get("HOME")).startsWith(root.resolve(taskId).toString());
    assertThat(seen.get("PWD")).startsWith(root.resolve(taskId).toString());
    assertThat(data.resolve("sandboxes")).doesNotExist();
    JsonNode sandbox = ok(alice.get(task + "/sandbox"));
    Path workDir = Path.of(sandbox.path("workDir").asText());
    assertThat(workDir.startsWith(root)).as("%s under %s", workDir, root).isTrue();
    assertThat(workDir.startsWith(data)).as("%s under %s", workDir, data).isFalse();

    // The server's token is in its record (0600), not on its command line.
    JsonNode record = JSON.readTree(root.resolve(taskId).resolve("sandbox.json").toFile());
    long pid = record.path("pid").asLong();
    String token = record.path("token").asText();
    assertThat(token).hasSizeGreaterThan(30);
    String cmdline =
        new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ');
    assertThat(cmdline).contains("sandbox-agent", "--token").doesNotContain(token);
  }

  @Test
  void anAgentsToolCallSeesNoSecretNoDataNoHostHomeNoOtherSandboxAndNothingOutlivesTheArchive()
      throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("SANDBOX_AGENT_BIN", SandboxAgentBin.path().toString());
    env.put("BETTER_AUTH_SECRET", "better-auth-canary-agent-9b2e");
    env.put("FOUNDRY_CREDENTIALS_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    Files.createDirectories(dir.resolve("remotes"));
    env.put("FOUNDRY_SANDBOX_SHARED_PATHS", dir.resolve("remotes").toString());
    server = ApiServer.start(dir, env);
    String alice = task(server.browser(), "alice");
    Browser bobBrowser = server.browser();
    String bob = task(bobBrowser, "bob");
    Browser aliceBrowser = server.browser();
    aliceBrowser.signIn("alice");
    String session = firstSession(aliceBrowser, alice);
    Path bobsSandbox =
        dir.resolve("data-sandboxes").resolve(bob.substring(bob.lastIndexOf('/') + 1));
    Files.writeString(dir.resolve("host-secret.txt"), "host-file-canary");
    String hostHome = System.getProperty("user.home");
    // A duration no other run uses: a process of an earlier run must not be taken for this one's.
    String detached = "sleep " + (100_000 + new java.util.Random().nextInt(900_000));

    String seen =
        AgentShell.run(
            aliceBrowser,
            alice,
            session,
            "env; echo ---; cat "
                + dir.resolve("data/journal/journal.db")
                + "; ls "
                + dir.resolve("data")
                + "; ls "
                + bobsSandbox
                + "; ls -a "
                + hostHome
                + "; cat "
                + dir.resolve("host-secret.txt")
                + "; (setsid "
                + detached
                + " &) ; echo ran");

    assertThat(seen).contains("ran").doesNotContain("better-auth-canary-agent-9b2e");
    assertThat(seen).doesNotContain("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assertThat(seen).doesNotContain("SQLite format").doesNotContain("host-file-canary");
    assertThat(seen).contains("No such file or directory");
    java.util.List<String> listed = java.util.List.of(seen.split("\n"));
    assertThat(listed).doesNotContain("journal", "sandbox.json", "home", "work");
    // The host's home shows at most the read-only paths the sandbox needs (the sandbox-agent
    // binary's and the offline agent's class path under ~/.cache and ~/.m2), nothing else of it.
    try (var entries = Files.list(Path.of(hostHome))) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (!Set.of(".cache", ".m2").contains(name)) {
          assertThat(listed).as("the host home's %s", name).doesNotContain(name);
        }
      }
    }
    // The grandchild detached from the agent's tree; the archive still ends it.
    await().atMost(Duration.ofSeconds(10)).until(() -> hostProcess(detached));
    assertThat(aliceBrowser.post(alice + "/archive", null).status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(60)).until(() -> !hostProcess(detached));
  }

  /** Signs {@code login} in and creates a task on a fresh repository; its path. */
  private String task(Browser browser, String login) throws Exception {
    String org = browser.signIn(login).json().path("activeOrganizationId").asText();
    String base = "/v1/organizations/" + org;
    Path remotes = Files.createDirectories(dir.resolve("remotes").resolve(login));
    String remote = Git.seedRemote(remotes).toUri().toString();
    String repoId =
        created(browser.post(base + "/repos", "{\"remoteUrl\":\"" + remote + "\"}"))
            .path("repoId")
            .asText();
    String task =
        base
            + "/tasks/"
            + created(
                    browser.post(
                        base + "/tasks", "{\"repoId\":\"" + repoId + "\",\"task\":\"hi\"}"))
                .path("id")
                .asText();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> browser.get(task + "/sandbox").json().path("state").asText(), "running"::equals);
    return task;
  }

  private static String firstSession(Browser browser, String task) {
    String[] id = new String[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              for (JsonNode s : browser.get(task).json().path("sessionsSummary")) {
                if ("idle".equals(s.path("status").asText())) {
                  id[0] = s.path("id").asText();
                  return true;
                }
              }
              return false;
            });
    return id[0];
  }

  private static boolean hostProcess(String commandLine) {
    return ProcessHandle.allProcesses()
        .anyMatch(p -> p.info().commandLine().map(c -> c.contains(commandLine)).orElse(false));
  }

  private static String stdout(JsonNode logs) {
    StringBuilder b = new StringBuilder();
    for (JsonNode entry : logs) {
      if (!"stderr".equals(entry.path("stream").asText())) {
        b.append(entry.path("text").asText());
      }
    }
    return b.toString();
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
    assertThat(env).as("env printed: %s", out).containsKey("HOME");
    return env;
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static JsonNode ok(Browser.Answer answer) {
    assertThat(answer.status()).as("%s", answer).isEqualTo(200);
    return answer.json();
  }

  private static JsonNode created(Browser.Answer answer) {
    assertThat(answer.status()).as("%s", answer).isEqualTo(201);
    return answer.json();
  }
}
