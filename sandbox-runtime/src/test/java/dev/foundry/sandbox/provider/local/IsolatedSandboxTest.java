package dev.foundry.sandbox.provider.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.process.ProcessRunResult;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.support.SandboxAgentBinary;
import dev.foundry.sandbox.support.TestSandboxes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the isolated provider confines, seen from inside a sandbox through the process API of the
 * real server. The layout mimics the backend: the sandbox root inside a data directory that holds a
 * journal.
 */
class IsolatedSandboxTest {

  Path dataDir;
  Path root;
  ExecutorService executor;
  LocalSandboxProvider provider;
  final List<Sandbox> handles = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    dataDir = Files.createTempDirectory("foundry-isolated-data-");
    Files.writeString(dataDir.resolve("journal.db"), "every organization's journal");
    root = dataDir.resolve("sandboxes");
    executor = Executors.newCachedThreadPool(SandboxAgentClient.daemonThreads("isolated"));
    provider =
        new LocalSandboxProvider(
            LocalSandboxSettings.of(root, SandboxAgentBinary.path(), executor)
                .withIsolation(SandboxIsolation.BWRAP));
  }

  @AfterEach
  void stop() throws Exception {
    handles.forEach(Sandbox::close);
    for (var s : provider.list().get(30, TimeUnit.SECONDS)) {
      provider.destroy(s.sandboxId()).get(30, TimeUnit.SECONDS);
    }
    executor.shutdownNow();
    try (Stream<Path> walk = Files.walk(dataDir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private Sandbox create(String id) {
    Sandbox sandbox =
        provider
            .create(SandboxSpec.of(id).withOfflineAgent(false))
            .orTimeout(60, TimeUnit.SECONDS)
            .join();
    handles.add(sandbox);
    return sandbox;
  }

  private static ProcessRunResult sh(Sandbox sandbox, String script) {
    return sandbox.client().processes().run(ProcessRequest.shell(script)).join();
  }

  @Test
  void theServerAndItsProcessesRunInTheirOwnNamespacesWithoutCapabilities() throws Exception {
    Sandbox sandbox = create("ns-1");

    for (String ns : List.of("pid", "mnt", "ipc", "uts")) {
      String inside = sh(sandbox, "readlink /proc/self/ns/" + ns).orThrow(ns).stdout().trim();
      String host = Files.readSymbolicLink(Path.of("/proc/self/ns/" + ns)).toString();
      assertThat(inside).as(ns).startsWith(ns + ":[").isNotEqualTo(host);
    }
    // A fresh /proc: only the sandbox's own processes, and its init is pid 1.
    String pids = sh(sandbox, "ls /proc | grep -E '^[0-9]+$' | sort -n").orThrow("ls").stdout();
    assertThat(pids.split("\n")[0]).isEqualTo("1");
    assertThat(pids.split("\n").length).isLessThan(10);
    assertThat(sh(sandbox, "hostname").orThrow("hostname").stdout().trim()).isEqualTo("sandbox");
    assertThat(sh(sandbox, "grep CapEff /proc/self/status").orThrow("caps").stdout())
        .contains("0000000000000000");
  }

  @Test
  void theSystemIsReadOnlyAndOnlyTheSandboxsDirectoriesAreWritable() throws IOException {
    Sandbox sandbox = create("ro-1");
    Path hostTmpMarker = Files.createTempFile("foundry-host-tmp-", ".txt");
    // A name of this run only: a probe left by an earlier, unconfined run must not decide this one.
    String probe = "foundry-probe-" + UUID.randomUUID();
    try {
      // touch would report a running binary as busy before the file system: chmod it instead.
      for (String write :
          List.of(
              "touch /usr/" + probe,
              "touch /etc/" + probe,
              "chmod a+w " + SandboxAgentBinary.path())) {
        ProcessRunResult r = sh(sandbox, write);
        assertThat(r.succeeded()).as(write).isFalse();
        assertThat(r.stderr()).as(write).contains("Read-only file system");
      }
      assertThat(Path.of("/usr", probe)).doesNotExist();
      assertThat(Path.of("/etc", probe)).doesNotExist();
      sh(
              sandbox,
              "mkdir -p $XDG_STATE_HOME && touch $HOME/h $XDG_DATA_HOME/d $XDG_STATE_HOME/s w /tmp/t")
          .orThrow("touch");
      assertThat(Path.of(sandbox.homeDir(), "h")).exists();
      assertThat(Path.of(sandbox.workDir(), "w")).exists();
      // /tmp is the sandbox's own: the host's is not there, and what it writes stays inside.
      assertThat(sh(sandbox, "ls " + hostTmpMarker).succeeded()).isFalse();
      assertThat(Path.of("/tmp/t")).doesNotExist();
      assertThat(sh(sandbox, "cat /etc/shadow").stdout()).isEmpty();
    } finally {
      Files.deleteIfExists(hostTmpMarker);
    }
  }

  @Test
  void theDataDirectoryOtherSandboxesAndTheHostHomeAreNotVisible() throws IOException {
    Sandbox a = create("see-a");
    Sandbox b = create("see-b");
    Files.writeString(Path.of(b.workDir(), "secret.txt"), "b's file");

    ProcessRunResult journal = sh(a, "cat " + dataDir.resolve("journal.db"));
    assertThat(journal.succeeded()).isFalse();
    assertThat(journal.stderr()).contains("No such file or directory");
    assertThat(sh(a, "ls " + b.workDir()).succeeded()).isFalse();
    assertThat(sh(a, "cat " + Path.of(b.workDir(), "secret.txt")).succeeded()).isFalse();
    // Its own record (with the token) and log are not mounted either, nor the sandbox root.
    assertThat(sh(a, "cat " + root.resolve("see-a/sandbox.json")).succeeded()).isFalse();
    assertThat(sh(a, "ls -A " + root).orThrow("ls root").stdout().trim()).isEqualTo("see-a");
    assertThat(sh(a, "ls -A " + dataDir).orThrow("ls data").stdout().trim()).isEqualTo("sandboxes");

    // The host's home: only the skeleton of the read-only mounts under it (the binary, the
    // offline agent's class path) exists; none of its own files.
    Path home = Path.of(System.getProperty("user.home"));
    Set<String> allowed = new TreeSet<>();
    for (Path mounted :
        BwrapCommand.readOnlyPaths(LocalSandboxRecord.read(root.resolve("see-a")).orElseThrow())) {
      if (mounted.startsWith(home) && !mounted.equals(home)) {
        allowed.add(home.relativize(mounted).getName(0).toString());
      }
    }
    Set<String> onHost = new TreeSet<>();
    try (Stream<Path> entries = Files.list(home)) {
      entries.forEach(p -> onHost.add(p.getFileName().toString()));
    }
    Set<String> hidden = new TreeSet<>(onHost);
    hidden.removeAll(allowed);
    assertThat(hidden).as("files of the host's home to look for").isNotEmpty();
    ProcessRunResult ls = sh(a, "ls -A " + home);
    Set<String> inside = new TreeSet<>();
    if (ls.succeeded()) {
      for (String name : ls.stdout().split("\n")) {
        if (!name.isBlank()) {
          inside.add(name);
        }
      }
    }
    assertThat(inside).isSubsetOf(allowed);
    for (String name : hidden) {
      assertThat(sh(a, "test -e " + home.resolve(name)).succeeded()).as(name).isFalse();
    }
  }

  @Test
  void aDetachedGrandchildDiesWithTheSandbox() {
    Sandbox sandbox = create("tree-1");
    sh(sandbox, "setsid sh -c 'exec sleep 613' </dev/null >/dev/null 2>&1 &").orThrow("setsid");
    await().atMost(Duration.ofSeconds(10)).until(() -> !hostPidsRunning("sleep 613 ").isEmpty());
    List<Long> detached = hostPidsRunning("sleep 613 ");
    // It left the server's session and process group: only the namespace still holds it.
    long serverPid = provider.serverPid("tree-1").orElseThrow();
    for (long pid : detached) {
      ProcessTree.ProcessStat stat = ProcessTree.stat(pid).orElseThrow();
      assertThat(stat.sid()).isNotEqualTo(serverPid);
    }

    provider.destroy("tree-1").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(detached).noneMatch(ProcessTree::isAlive);
    assertThat(hostPidsRunning("sleep 613 ")).isEmpty();
  }

  @Test
  void aSandboxTheLocalProviderStartedIsRestartedConfinedOnConnect() throws Exception {
    LocalSandboxProvider local =
        new LocalSandboxProvider(
            LocalSandboxSettings.of(root, SandboxAgentBinary.path(), executor));
    Sandbox before =
        local
            .create(SandboxSpec.of("was-local").withOfflineAgent(false))
            .orTimeout(60, TimeUnit.SECONDS)
            .join();
    handles.add(before);
    sh(before, "echo kept > kept.txt").orThrow("write");
    long unconfined = local.serverPid("was-local").orElseThrow();
    String hostPidNs = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
    assertThat(sh(before, "readlink /proc/self/ns/pid").stdout().trim()).isEqualTo(hostPidNs);

    Sandbox after = provider.connect("was-local").orTimeout(60, TimeUnit.SECONDS).join();
    handles.add(after);

    assertThat(after.providerId()).isEqualTo("isolated");
    assertThat(ProcessTree.isAlive(unconfined)).isFalse();
    assertThat(sh(after, "readlink /proc/self/ns/pid").stdout().trim()).isNotEqualTo(hostPidNs);
    assertThat(sh(after, "cat kept.txt").orThrow("read").stdout()).isEqualTo("kept\n");
    // Connecting again reattaches to the confined server.
    long confined = provider.serverPid("was-local").orElseThrow();
    provider.connect("was-local").orTimeout(30, TimeUnit.SECONDS).join().close();
    assertThat(provider.serverPid("was-local")).contains(confined);
  }

  /** Every process on the host whose command line is {@code cmdline} (arguments space-joined). */
  static List<Long> hostPidsRunning(String cmdline) {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("\\d+"))
          .map(Long::parseLong)
          .filter(pid -> TestSandboxes.commandLine(pid).equals(cmdline))
          .forEach(pids::add);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return pids;
  }
}
