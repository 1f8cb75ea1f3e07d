package dev.foundry.sandbox.provider.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.process.ProcessRunResult;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.SessionUpdate;
import dev.foundry.sandbox.session.StopReason;
import dev.foundry.sandbox.session.TurnResult;
import dev.foundry.sandbox.support.SandboxAgentBinary;
import dev.foundry.sandbox.support.TestSandboxes;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The isolated provider with network {@code none}, over the real server: the sandbox has only its
 * own loopback, and the backend reaches the server through the socket relay, streams included.
 */
class OfflineSandboxTest {

  TestSandboxes offline;
  final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    offline = new TestSandboxes("offline-net", OfflineSandboxTest::offlineSettings);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    offline.close();
  }

  static LocalSandboxSettings offlineSettings(LocalSandboxSettings s) {
    return s.withIsolation(SandboxIsolation.BWRAP).withNetwork(SandboxNetwork.NONE);
  }

  @Test
  void aPromptStreamsItsReplyThroughTheRelay() throws IOException {
    Sandbox sandbox = offline.create("talk-1", true);

    String hostNet = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    assertThat(sh(sandbox, "readlink /proc/self/ns/net").orThrow("ns").stdout().trim())
        .startsWith("net:[")
        .isNotEqualTo(hostNet);
    // Its only interface is its own loopback, and it has no route anywhere.
    assertThat(interfaces(sandbox)).containsExactly("lo");

    TurnResult result = prompt(sandbox, "hello through the relay");
    assertThat(result.stopReason()).isEqualTo(StopReason.END_TURN);
    assertThat(result.agentText()).isEqualTo("You said: hello through the relay");
    assertThat(result.updates())
        .filteredOn(u -> u instanceof SessionUpdate.AgentMessageChunk)
        .hasSizeGreaterThan(2);

    // A long turn: its chunks arrive one by one over seconds on the same SSE stream.
    TurnResult slow = prompt(sandbox, "/slow 30");
    assertThat(slow.stopReason()).isEqualTo(StopReason.END_TURN);
    assertThat(slow.updates())
        .filteredOn(u -> u instanceof SessionUpdate.AgentMessageChunk)
        .hasSizeGreaterThanOrEqualTo(30);
    // A request held open while its process runs.
    assertThat(sh(sandbox, "sleep 3; echo done").orThrow("sleep").stdout()).isEqualTo("done\n");
  }

  @Test
  void theHostsLoopbackAndOtherServersAreUnreachableFromASandboxWithoutNetwork() throws Exception {
    TestSandboxes full =
        new TestSandboxes("full-net", s -> s.withIsolation(SandboxIsolation.BWRAP));
    closing.add(full);
    Sandbox connected = full.create("full-1", false);
    Sandbox cut = offline.create("cut-1", false);
    Sandbox other = offline.create("cut-2", false);
    AtomicInteger accepted = new AtomicInteger();
    ServerSocket hostServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    closing.add(hostServer);
    Thread acceptor =
        new Thread(
            () -> {
              while (!hostServer.isClosed()) {
                try (Socket s = hostServer.accept()) {
                  accepted.incrementAndGet();
                } catch (IOException closed) {
                  return;
                }
              }
            });
    acceptor.setDaemon(true);
    acceptor.start();
    int hostPort = hostServer.getLocalPort();

    // With full network the sandbox reaches the host's loopback server: the probe can succeed.
    assertThat(tcpConnect(connected, "127.0.0.1", hostPort).succeeded()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> accepted.get() == 1);

    ProcessRunResult toHost = tcpConnect(cut, "127.0.0.1", hostPort);
    assertThat(toHost.succeeded()).isFalse();
    assertThat(toHost.stderr()).contains("Connection refused");
    // The servers of other sandboxes on the host's loopback: a server with the host's network,
    // and the relay port of another sandbox without.
    int fullServerPort = connected.endpoint().baseUri().getPort();
    int otherRelayPort = other.endpoint().baseUri().getPort();
    assertThat(tcpConnect(cut, "127.0.0.1", fullServerPort).succeeded()).isFalse();
    assertThat(tcpConnect(cut, "127.0.0.1", otherRelayPort).succeeded()).isFalse();
    assertThat(tcpConnect(connected, "127.0.0.1", otherRelayPort).succeeded()).isTrue();
    // Nor any other address: there is no interface but lo to send from.
    ProcessRunResult out = tcpConnect(cut, "192.0.2.1", 80);
    assertThat(out.succeeded()).isFalse();
    assertThat(out.stderr()).contains("Network is unreachable");
    assertThat(accepted.get()).isEqualTo(1);
  }

  @Test
  void stopAndDestroyLeaveNoRelayAndNoServer() throws Exception {
    Sandbox sandbox = offline.create("end-1", false);
    long serverPid = offline.serverPid("end-1");
    // The listener, and a child of it per open connection (the client keeps one alive).
    List<Long> socat = socatPids(serverPid);
    assertThat(socat).isNotEmpty();
    int relayPort = sandbox.endpoint().baseUri().getPort();

    offline.provider().stop("end-1").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(ProcessTree.isAlive(serverPid)).isFalse();
    assertThat(socat).noneMatch(ProcessTree::isAlive);
    assertThat(ProcessTree.members(serverPid)).isEmpty();
    assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), relayPort).close())
        .isInstanceOf(ConnectException.class);

    // Resumed, it is reachable again (on the same port), and destroy ends it all again.
    Sandbox resumed = offline.provider().connect("end-1").orTimeout(60, TimeUnit.SECONDS).join();
    assertThat(resumed.endpoint().baseUri().getPort()).isEqualTo(relayPort);
    assertThat(sh(resumed, "echo again").orThrow("echo").stdout()).isEqualTo("again\n");
    long resumedPid = offline.serverPid("end-1");
    List<Long> resumedSocat = socatPids(resumedPid);
    assertThat(resumedSocat).isNotEmpty();
    resumed.close();

    offline.provider().destroy("end-1").orTimeout(30, TimeUnit.SECONDS).join();

    assertThat(ProcessTree.isAlive(resumedPid)).isFalse();
    assertThat(resumedSocat).noneMatch(ProcessTree::isAlive);
    assertThat(offline.root().resolve("end-1")).doesNotExist();
    assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), relayPort).close())
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void aServerThatDiesTakesTheRelayInsideWithIt() throws IOException {
    Sandbox sandbox = offline.create("crash-1", false);
    long bwrapPid = offline.serverPid("crash-1");
    List<Long> socat = socatPids(bwrapPid);
    assertThat(socat).isNotEmpty();
    long server =
        ProcessTree.members(bwrapPid).stream()
            .map(ProcessTree.ProcessStat::pid)
            .filter(
                pid -> TestSandboxes.commandLine(pid).startsWith(SandboxAgentBinary.path() + " "))
            .findFirst()
            .orElseThrow();

    ProcessHandle.of(server).orElseThrow().destroyForcibly();

    // Nothing of the sandbox is left running without its server (bwrap's init included).
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> socat.stream().noneMatch(ProcessTree::isAlive));
    await().atMost(Duration.ofSeconds(10)).until(() -> !ProcessTree.isAlive(bwrapPid));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> processesIn(offline.root().resolve("crash-1")).isEmpty());
    // connect starts it again on the same directories.
    Sandbox resumed = offline.provider().connect("crash-1").orTimeout(60, TimeUnit.SECONDS).join();
    closing.add(resumed);
    assertThat(sh(resumed, "echo up").orThrow("echo").stdout()).isEqualTo("up\n");
    sandbox.close();
  }

  @Test
  void aRestartedBackendReachesTheRunningServerThroughARelayOfItsOwn() {
    Sandbox before = offline.create("again-1", true);
    long serverPid = offline.serverPid("again-1");
    assertThat(prompt(before, "first").agentText()).isEqualTo("You said: first");
    int relayPort = before.endpoint().baseUri().getPort();

    // The old backend ends: its relay goes with it, the sandbox runs on.
    offline.provider().close();
    assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), relayPort).close())
        .isInstanceOf(ConnectException.class);
    assertThat(ProcessTree.isAlive(serverPid)).isTrue();

    LocalSandboxProvider restarted =
        new LocalSandboxProvider(
            offlineSettings(
                LocalSandboxSettings.of(
                    offline.root(), SandboxAgentBinary.path(), offline.executor())));
    Sandbox after = restarted.connect("again-1").orTimeout(60, TimeUnit.SECONDS).join();
    closing.add(after);
    closing.add(restarted::close);

    assertThat(restarted.serverPid("again-1")).contains(serverPid);
    assertThat(after.endpoint()).isEqualTo(before.endpoint());
    TurnResult result = prompt(after, "after the restart");
    assertThat(result.agentText()).isEqualTo("You said: after the restart");
    assertThat(result.updates())
        .filteredOn(u -> u instanceof SessionUpdate.AgentMessageChunk)
        .hasSizeGreaterThan(2);
  }

  @Test
  void aLinkPutInPlaceOfTheSocketIsNotFollowed() throws Exception {
    Sandbox sandbox = offline.create("link-1", false);
    Path hostSocketDir = Files.createTempDirectory("foundry-host-socket-");
    Path hostSocket = hostSocketDir.resolve("host.sock");
    ServerSocketChannel hostService = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    hostService.bind(UnixDomainSocketAddress.of(hostSocket));
    hostService.configureBlocking(false);
    closing.add(hostService);
    closing.add(() -> Files.deleteIfExists(hostSocket));
    closing.add(() -> Files.deleteIfExists(hostSocketDir));

    // From inside: the socket's directory is writable, so a process can swap the socket for a
    // link to a host path (it cannot reach that path itself).
    sh(
            sandbox,
            "ln -s "
                + hostSocket
                + " "
                + OfflineNetwork.INSIDE_DIR
                + "/x && mv -f "
                + OfflineNetwork.INSIDE_DIR
                + "/x "
                + OfflineNetwork.INSIDE_DIR
                + "/server.sock")
        .orThrow("swap");
    assertThat(Files.isSymbolicLink(OfflineNetwork.hostSocket(offline.root().resolve("link-1"))))
        .isTrue();

    try (SandboxAgentClient fresh =
        SandboxAgentClient.builder(sandbox.endpoint()).executor(offline.executor()).build()) {
      assertThatThrownBy(() -> fresh.health(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS))
          .isNotNull();
    }
    SocketChannel reached = hostService.accept();
    assertThat(reached).isNull();
  }

  @Test
  void aSandboxStartedWithNetworkIsRestartedWithoutItOnConnect() throws IOException {
    LocalSandboxProvider withNetwork =
        new LocalSandboxProvider(
            LocalSandboxSettings.of(offline.root(), SandboxAgentBinary.path(), offline.executor())
                .withIsolation(SandboxIsolation.BWRAP));
    Sandbox before =
        withNetwork
            .create(dev.foundry.sandbox.provider.SandboxSpec.of("switch-1").withOfflineAgent(false))
            .orTimeout(60, TimeUnit.SECONDS)
            .join();
    closing.add(before);
    sh(before, "echo kept > kept.txt").orThrow("write");
    String hostNet = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    assertThat(sh(before, "readlink /proc/self/ns/net").stdout().trim()).isEqualTo(hostNet);
    long connectedPid = withNetwork.serverPid("switch-1").orElseThrow();

    Sandbox after = offline.provider().connect("switch-1").orTimeout(60, TimeUnit.SECONDS).join();
    closing.add(after);

    assertThat(ProcessTree.isAlive(connectedPid)).isFalse();
    assertThat(sh(after, "readlink /proc/self/ns/net").stdout().trim()).isNotEqualTo(hostNet);
    assertThat(sh(after, "cat kept.txt").orThrow("read").stdout()).isEqualTo("kept\n");
    // Connecting again reattaches to the server without network.
    long offlinePid = offline.serverPid("switch-1");
    offline.provider().connect("switch-1").orTimeout(30, TimeUnit.SECONDS).join().close();
    assertThat(offline.serverPid("switch-1")).isEqualTo(offlinePid);
  }

  @Test
  void noneIsRefusedWithoutIsolation() {
    assertThatThrownBy(
            () ->
                new LocalSandboxProvider(
                    LocalSandboxSettings.of(
                            offline.root().resolve("unisolated"),
                            SandboxAgentBinary.path(),
                            offline.executor())
                        .withNetwork(SandboxNetwork.NONE)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("needs the isolated provider");
  }

  private static TurnResult prompt(Sandbox sandbox, String text) {
    try (AgentSession session =
        AgentSession.open(sandbox.client(), AgentSessionOptions.of("mock", sandbox.workDir()))
            .orTimeout(30, TimeUnit.SECONDS)
            .join()) {
      return session.prompt(text).result().orTimeout(30, TimeUnit.SECONDS).join();
    }
  }

  private static ProcessRunResult sh(Sandbox sandbox, String script) {
    return sandbox.client().processes().run(ProcessRequest.shell(script)).join();
  }

  /** bash's /dev/tcp: connect, and exit 0 only when the connection was made. */
  private static ProcessRunResult tcpConnect(Sandbox sandbox, String host, int port) {
    return sandbox
        .client()
        .processes()
        .run(
            ProcessRequest.of(
                "timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/" + host + "/" + port))
        .join();
  }

  private static List<String> interfaces(Sandbox sandbox) {
    String dev = sh(sandbox, "tail -n +3 /proc/net/dev | cut -d: -f1").orThrow("dev").stdout();
    return dev.lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
  }

  /** Live host processes whose working directory is in {@code dir}. */
  private static List<Long> processesIn(Path dir) throws IOException {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .filter(
              p -> {
                try {
                  return Files.readSymbolicLink(p.resolve("cwd")).startsWith(dir);
                } catch (IOException | RuntimeException gone) {
                  return false;
                }
              })
          .map(p -> Long.parseLong(p.getFileName().toString()))
          .filter(ProcessTree::isAlive)
          .toList();
    }
  }

  private static List<Long> socatPids(long serverPid) {
    return ProcessTree.members(serverPid).stream()
        .map(ProcessTree.ProcessStat::pid)
        .filter(
            pid ->
                TestSandboxes.commandLine(pid)
                    .startsWith(OfflineNetwork.socat().orElseThrow() + " UNIX-LISTEN:"))
        .toList();
  }
}
