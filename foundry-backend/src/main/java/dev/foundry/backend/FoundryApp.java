package dev.foundry.backend;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import dev.foundry.backend.auditlog.AuditLog;
import dev.foundry.backend.billing.StripeGateway;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.githubdata.GithubDataActor;
import dev.foundry.backend.http.ConsoleRoutes;
import dev.foundry.backend.http.HttpServer;
import dev.foundry.backend.http.Readiness;
import dev.foundry.backend.http.auth.Authenticator;
import dev.foundry.backend.http.auth.CookieSessions;
import dev.foundry.backend.http.auth.SessionCookie;
import dev.foundry.backend.http.realtime.RealtimeEndpoint;
import dev.foundry.backend.http.realtime.TopicAccess;
import dev.foundry.backend.http.rest.ResourceAccess;
import dev.foundry.backend.http.rest.RestApi;
import dev.foundry.backend.http.rest.RestRoutes;
import dev.foundry.backend.http.rest.TopicSnapshots;
import dev.foundry.backend.metrics.FoundryMetrics;
import dev.foundry.backend.organization.OrganizationActor;
import dev.foundry.backend.persistence.JournalDatabase;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.RealtimeHub;
import dev.foundry.backend.runtime.RuntimeSettings;
import dev.foundry.backend.runtime.json.JsonTypes;
import dev.foundry.backend.sandbox.SandboxActor;
import dev.foundry.backend.sandbox.SandboxHost;
import dev.foundry.backend.task.TaskActor;
import dev.foundry.backend.user.CredentialCipher;
import dev.foundry.backend.user.GithubAccountStore;
import dev.foundry.backend.user.ProviderCredentialStore;
import dev.foundry.backend.user.UserActor;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.provider.local.SandboxEnvironment;
import dev.foundry.sandbox.provider.local.SandboxIsolation;
import dev.foundry.sandbox.provider.local.SandboxNetwork;
import dev.foundry.sandbox.provider.local.SandboxResources;
import dev.foundry.sandbox.provider.remote.RemoteSandboxProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running backend: its actor system, storage and HTTP server, wired together. */
public final class FoundryApp {
  private static final Logger log = LoggerFactory.getLogger(FoundryApp.class);

  /** Every kind of durable actor this backend runs (sandboxes when an agent binary is set). */
  static final List<ActorKind<?, ?, ?>> ACTOR_KINDS =
      List.of(
          OrganizationActor.KIND,
          UserActor.KIND,
          TaskActor.KIND,
          AuditLog.KIND,
          GithubDataActor.KIND);

  static List<ActorKind<?, ?, ?>> actorKinds(FoundrySettings settings) {
    if (!settings.sandbox().enabled()) {
      return ACTOR_KINDS;
    }
    List<ActorKind<?, ?, ?>> kinds = new ArrayList<>(ACTOR_KINDS);
    kinds.add(SandboxActor.KIND);
    return List.copyOf(kinds);
  }

  private final ActorSystem<Void> system;
  private final DurableRuntime runtime;
  private final ProviderCredentialStore credentials;
  private final ServerBinding binding;
  private final Readiness readiness;
  private final CookieSessions sessions;
  private final TopicAccess topics;
  private final RestApi api;

  private FoundryApp(
      ActorSystem<Void> system,
      DurableRuntime runtime,
      ProviderCredentialStore credentials,
      ServerBinding binding,
      Readiness readiness,
      CookieSessions sessions,
      TopicAccess topics,
      RestApi api) {
    this.system = system;
    this.runtime = runtime;
    this.credentials = credentials;
    this.binding = binding;
    this.readiness = readiness;
    this.sessions = sessions;
    this.topics = topics;
    this.api = api;
  }

  /** Opens storage, starts the actor system and binds HTTP; returns once it serves. */
  public static FoundryApp start(Config config, FoundrySettings settings) {
    try {
      Files.createDirectories(settings.dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create data directory " + settings.dataDir(), e);
    }
    logDevSignIn(settings);
    Readiness readiness = new Readiness();
    log.info("journal {}", JournalDatabase.prepareConfigured(config));
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), FoundryConfig.SYSTEM_NAME, config);
    try {
      if (settings.cluster() != null) {
        awaitClusterMembership(system, settings.cluster());
      }
      startSandboxes(system, config, settings);
      // Before any organization can run a billing command.
      StripeGateway.get(system).configure(settings);
      FoundryMetrics metrics = new FoundryMetrics();
      RealtimeHub hub = new RealtimeHub();
      DurableRuntime runtime =
          DurableRuntime.start(
              system,
              runtimeSettings(settings),
              hub,
              actorKinds(settings),
              metrics.runtimeMetrics());
      metrics.watch(runtime);
      // Provider credentials are sealed with the configured key before they reach an actor.
      ProviderCredentialStore credentials =
          new ProviderCredentialStore(
              runtime, new CredentialCipher(settings.auth().credentialsKey()));
      SandboxHost.get(system).agentKeys(credentials::agentKeys);
      CookieSessions sessions = new CookieSessions(runtime, SessionCookie.from(settings));
      sessions.purgeExpired();
      ResourceAccess access = new ResourceAccess(runtime);
      TopicAccess topics = new TopicSnapshots(runtime, access);
      GithubAccountStore githubAccounts =
          new GithubAccountStore(runtime, new CredentialCipher(settings.auth().credentialsKey()));
      GitHub github = GitHub.start(system, settings, runtime, githubAccounts, sessions);
      RestApi api =
          new RestApi(
              settings, runtime, sessions, credentials, github.signIn(), github.membership());
      RealtimeEndpoint realtime =
          new RealtimeEndpoint(
              system,
              settings,
              sessions,
              topics,
              hub,
              JsonTypes.get(system).mapper(),
              metrics.registry());
      // A session that ends (sign-out, expiry) closes the sockets opened with it.
      sessions.onSessionEnded(realtime::sessionEnded);
      // A member GitHub no longer lists loses their open sockets with the membership.
      if (github.membership() != null) {
        github.membership().onMembershipEnded(realtime::membershipEnded);
      }
      HttpServer server =
          new HttpServer(
              system,
              settings,
              readiness,
              List.of(
                  realtime.route(),
                  new RestRoutes(api.endpoints(), sessions, access).route(),
                  new ConsoleRoutes(settings.http().adminEnabled()).route()),
              metrics);
      ServerBinding binding = server.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      readiness.degradedWhile(runtime.storage()::failure);
      readiness.ready();
      log.info("Foundry ready; data in {}", settings.dataDir());
      return new FoundryApp(
          system, runtime, credentials, binding, readiness, sessions, topics, api);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("cannot start the HTTP server: " + e.getMessage(), e);
    }
  }

  /**
   * In cluster mode the node serves only once it is a member ({@code Up}): before that its shard
   * regions could not place an actor anywhere, and every request would wait. A node that cannot
   * join stops itself after {@code shutdown-after-unsuccessful-join-seed-nodes}.
   */
  private static void awaitClusterMembership(
      ActorSystem<Void> system, FoundrySettings.Cluster cluster) throws InterruptedException {
    Cluster self = Cluster.get(system);
    log.info(
        "cluster mode: joining {} as {}:{}", cluster.seedNodes(), cluster.host(), cluster.port());
    while (self.selfMember().status() != MemberStatus.up()) {
      if (system.whenTerminated().isCompleted()) {
        throw new IllegalStateException("the node stopped before it joined the cluster");
      }
      Thread.sleep(100);
    }
    log.info("cluster mode: {} is Up", self.selfMember().address());
  }

  /** Says at start whether anyone who reaches the server may sign in as anyone, and why. */
  private static void logDevSignIn(FoundrySettings settings) {
    FoundrySettings.Auth auth = settings.auth();
    if (auth.devAuth()) {
      log.warn(
          "dev sign-in is ON ({}): anyone who reaches this server can sign in as any login;"
              + " set FOUNDRY_DEV_AUTH=false unless this is a development machine",
          auth.devAuthReason());
    } else {
      log.info("dev sign-in is off ({})", auth.devAuthReason());
    }
  }

  /**
   * Configures the sandbox host before any sandbox actor runs: the isolated (bwrap, the default) or
   * local provider keeps its sandboxes under {@code foundry.sandbox.root} (outside the data
   * directory; sandboxes an earlier version made under {@code <data>/sandboxes} are still found
   * there), and gives them only the allow-listed variables of this server's environment. Without an
   * agent binary the backend runs no sandboxes, says so once, and a message to a session is refused
   * with {@code no_sandbox_runtime}.
   */
  private static void startSandboxes(
      ActorSystem<Void> system, Config config, FoundrySettings settings) {
    FoundrySettings.Remote remote = settings.sandbox().remote();
    if (remote != null) {
      startRemoteSandboxes(system, remote);
      return;
    }
    Path binary = settings.sandbox().agentBinary();
    if (binary == null) {
      log.warn(
          "SANDBOX_AGENT_BIN is not set: tasks get no sandbox and sessions take no messages"
              + " (scripts/sandbox-agent-bin prints a binary; ./foundry run sets it)");
      return;
    }
    if (!settings.sandbox().isolated()) {
      log.warn(
          "sandbox provider 'local' does not isolate: agents run as this server's user and can"
              + " read the host's files and processes, the data directory included. For"
              + " development only (docs/threat-model.md){}",
          settings.auth().devAuth()
              ? ""
              : "; running without dev sign-in because FOUNDRY_ALLOW_UNISOLATED_SANDBOXES=true");
    }
    ExecutorService io = sandboxIo(system);
    LocalSandboxSettings local =
        LocalSandboxSettings.of(settings.sandbox().root(), binary, io)
            .withHostEnvironment(sandboxVisibleEnvironment(config))
            .withLegacyRoots(List.of(settings.dataDir().resolve("sandboxes")));
    if (settings.sandbox().isolated()) {
      if (SandboxIsolation.bwrap().isEmpty()) {
        throw new IllegalStateException(
            "FOUNDRY_SANDBOX_PROVIDER=isolated (the default) confines sandboxes with bwrap, which"
                + " is not installed: install Debian's bubblewrap package (apt-get install"
                + " bubblewrap), or set FOUNDRY_SANDBOX_PROVIDER=local for development");
      }
      local =
          local
              .withIsolation(SandboxIsolation.BWRAP)
              .withSharedPaths(settings.sandbox().sharedPaths());
      if (settings.sandbox().offline()) {
        local = local.withNetwork(SandboxNetwork.NONE);
      }
    }
    LocalSandboxProvider provider =
        new LocalSandboxProvider(
            local,
            new SandboxResources(
                settings.sandboxLimits().maxProcesses(),
                settings.sandboxLimits().maxMemoryBytes()));
    // The relays to servers without network are this process's; its sandboxes run on.
    system.getWhenTerminated().whenComplete((done, failure) -> provider.close());
    if (settings.sandbox().offline()) {
      log.info("sandboxes have no network (FOUNDRY_SANDBOX_NETWORK=none)");
    }
    log.info(
        "sandboxes live under {}; per-sandbox bounds {}",
        provider.settings().rootDir(),
        provider.enforcedResources().map(Object::toString).orElse("not enforced"));
    // Git credentials of task owners come from GitHub (GitHub.start sets their source once the
    // runtime runs); without any a sandbox clones and pushes remotes that need none (file://,
    // local servers) and never prompts.
    SandboxHost.get(system)
        .configure(provider, (org, user) -> CompletableFuture.completedFuture(List.of()))
        .limit(
            new SandboxHost.Limits(
                settings.sandboxLimits().maxSandboxes(),
                settings.sandboxLimits().maxPerOrganization()));
  }

  /**
   * The remote provider: sandboxes are directories of one sandbox-agent server that runs elsewhere.
   * Its token is never logged.
   */
  private static void startRemoteSandboxes(
      ActorSystem<Void> system, FoundrySettings.Remote remote) {
    RemoteSandboxProvider provider =
        new RemoteSandboxProvider(
            SandboxAgentEndpoint.of(remote.url().toString(), remote.token()),
            remote.root(),
            sandboxIo(system));
    system.getWhenTerminated().whenComplete((done, failure) -> provider.close());
    log.info(
        "sandboxes live under {} on the sandbox-agent server {} (FOUNDRY_SANDBOX_PROVIDER=remote)",
        remote.root(),
        remote.url());
    log.warn(
        "sandbox provider 'remote': sandboxes are isolated from this host but not from each other;"
            + " every sandbox on {} runs as that server's user (docs/threat-model.md)",
        remote.url());
    SandboxHost.get(system)
        .configure(provider, (org, user) -> CompletableFuture.completedFuture(List.of()));
  }

  /** Sandbox I/O (process spawns, HTTP to sandbox-agent) blocks: it gets its own threads. */
  private static ExecutorService sandboxIo(ActorSystem<Void> system) {
    ExecutorService io =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "sandbox-io");
              t.setDaemon(true);
              return t;
            });
    system.getWhenTerminated().whenComplete((done, failure) -> io.shutdownNow());
    return io;
  }

  /**
   * The variables of this server's environment that sandboxes inherit ({@link
   * SandboxEnvironment#passed}): read from the configuration's environment (FoundryConfig puts the
   * environment there as root keys), so a test's environment map is the server's environment.
   */
  private static Map<String, String> sandboxVisibleEnvironment(Config config) {
    Map<String, String> env = new HashMap<>();
    config
        .root()
        .forEach(
            (name, value) -> {
              if (SandboxEnvironment.passed(name) && value.valueType() == ConfigValueType.STRING) {
                env.put(name, (String) value.unwrapped());
              }
            });
    return env;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public DurableRuntime runtime() {
    return runtime;
  }

  /** Stores and reads users' provider credentials, sealed with FOUNDRY_CREDENTIALS_KEY. */
  public ProviderCredentialStore credentials() {
    return credentials;
  }

  public Readiness readiness() {
    return readiness;
  }

  /** Who a request comes from (the session cookie): for the REST routes and the WebSocket. */
  public Authenticator authenticator() {
    return sessions;
  }

  /** What a realtime subscriber may see, and its first snapshot. */
  public TopicAccess topicAccess() {
    return topics;
  }

  /** The REST table (served, and described at {@code GET /v1/openapi.json}). */
  public RestApi restApi() {
    return api;
  }

  /** Runs the same coordinated shutdown as SIGTERM and waits for it. */
  public void stop(Duration timeout) {
    system.terminate();
    try {
      system
          .getWhenTerminated()
          .toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("actor system did not stop within " + timeout, e);
    }
  }

  /** The durable runtime's settings, from the validated configuration. */
  static RuntimeSettings runtimeSettings(FoundrySettings settings) {
    FoundrySettings.Runtime runtime = settings.runtime();
    return new RuntimeSettings(
        settings.dataDir(),
        runtime.passivateAfter(),
        runtime.commandTimeout(),
        runtime.snapshotEvery(),
        runtime.maxActiveActors(),
        runtime.maxQueuedPerActor(),
        runtime.ioTimeout(),
        runtime.backupEvery(),
        runtime.unlistAfter());
  }
}
