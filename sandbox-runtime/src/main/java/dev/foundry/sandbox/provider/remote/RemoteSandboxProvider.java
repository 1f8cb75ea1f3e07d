package dev.foundry.sandbox.provider.remote;

import dev.foundry.sandbox.agent.OfflineAgentLauncher;
import dev.foundry.sandbox.client.ClientScope;
import dev.foundry.sandbox.client.ConflictException;
import dev.foundry.sandbox.client.InvalidRequestException;
import dev.foundry.sandbox.client.NotFoundException;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;
import dev.foundry.sandbox.client.SandboxAgentException;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import dev.foundry.sandbox.fs.FileEntry;
import dev.foundry.sandbox.process.ProcessInfo;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxLocks;
import dev.foundry.sandbox.provider.SandboxNotFoundException;
import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.SandboxStartException;
import dev.foundry.sandbox.provider.SandboxState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes as directories of one sandbox-agent server that already runs elsewhere (URL + token),
 * driven only through its HTTP API. Layout on the server:
 *
 * <pre>
 * &lt;root&gt;/&lt;sandboxId&gt;/   (0700)
 *   sandbox.json          the record: spec, stopped (0600)
 *   home/                 $HOME of the sandbox's processes
 *   work/                 their default cwd; the repository is cloned here; sessions run here
 * </pre>
 *
 * <p>The handle's client is confined to the sandbox ({@link ClientScope}): its processes run in its
 * directory with {@code HOME}, {@value #MARKER} and the spec's variables; its ACP instances are
 * named {@code <sandboxId>~...}. {@code stop} ends those instances and every process of the server
 * whose cwd is in the sandbox's directory or whose environment carries the sandbox's marker; the
 * server and other sandboxes keep running. Nothing is kept in memory: {@code list} and {@code
 * connect} read the server's files.
 *
 * <p>This isolates sandboxes from the backend's host, not from each other: every sandbox of a
 * server runs as the server's user and can read other sandboxes' files and processes
 * (docs/sandbox-runtime.md).
 */
public final class RemoteSandboxProvider implements SandboxProvider {

  public static final String ID = "remote";

  /** The variable that marks every process started in a sandbox: its id. */
  public static final String MARKER = "FOUNDRY_SANDBOX_ID";

  /** Separates the sandbox id from the caller's part of an ACP server id; never in a sandbox id. */
  static final String ACP_SEPARATOR = "~";

  private static final Logger log = LoggerFactory.getLogger(RemoteSandboxProvider.class);
  private static final Duration CALL = Duration.ofSeconds(30);

  /**
   * Kills, as the server's user, every process whose cwd is in the sandbox's directory ($1) or
   * whose environment has the marker ($2), in rounds until none is found (a dying parent may fork
   * once more). Runs with cwd / and without the marker, so it never matches itself or its helpers.
   */
  private static final String KILL_SCRIPT =
      """
      dir="$1"; marker="$2"; self=$$
      round=0
      while [ $round -lt 20 ]; do
        round=$((round + 1)); found=
        pids=$( { find /proc/[0-9]*/cwd -maxdepth 0 \\( -lname "$dir" -o -lname "$dir/*" \\) 2>/dev/null
                  grep -lxzF "$marker" /proc/[0-9]*/environ 2>/dev/null; } | cut -d/ -f3 | sort -u )
        for pid in $pids; do
          [ "$pid" = "$self" ] && continue
          kill -9 "$pid" 2>/dev/null && found=1
        done
        [ -z "$found" ] && exit 0
        sleep 0.1
      done
      echo "processes of $dir still alive after 20 rounds" >&2
      exit 1
      """;

  private final SandboxAgentEndpoint endpoint;
  private final String root;
  private final Executor executor;
  private final SandboxAgentClient admin;
  private final SandboxLocks locks;

  /**
   * The offline agent's launcher, installed once per provider (the server's mock slot is shared).
   */
  private volatile CompletableFuture<String> offlineAgent;

  /**
   * @param endpoint the server's URL and token
   * @param root the directory on the server under which sandboxes live, absolute
   * @param executor where blocking work and the clients' callbacks run
   */
  public RemoteSandboxProvider(SandboxAgentEndpoint endpoint, String root, Executor executor) {
    if (root == null
        || !root.matches("/[A-Za-z0-9._/-]*[A-Za-z0-9._-]")
        || root.contains("/../")
        || root.endsWith("/..")) {
      throw new IllegalArgumentException(
          "the remote sandbox root must be an absolute path of letters, digits and . _ - /,"
              + " not / itself and without a trailing /: "
              + root);
    }
    this.endpoint = endpoint;
    this.root = root;
    this.executor = executor;
    this.locks = new SandboxLocks(executor);
    this.admin = SandboxAgentClient.builder(endpoint).executor(executor).build();
  }

  @Override
  public String id() {
    return ID;
  }

  public SandboxAgentEndpoint endpoint() {
    return endpoint;
  }

  /** The directory on the server under which sandboxes live. */
  public String root() {
    return root;
  }

  /** The sandbox's directory on the server. */
  public String dir(String sandboxId) {
    if (!sandboxId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
      throw new IllegalArgumentException("invalid sandbox id: " + sandboxId);
    }
    return root + "/" + sandboxId;
  }

  @Override
  public CompletableFuture<Sandbox> create(SandboxSpec spec) {
    return locked(spec.sandboxId(), () -> createNow(spec));
  }

  @Override
  public CompletableFuture<Sandbox> connect(String sandboxId) {
    return locked(sandboxId, () -> connectNow(sandboxId));
  }

  /**
   * Processes and agents of the sandbox end and later ones get {@code env}; the remote server
   * itself is shared and keeps running, so what it was started with is outside this provider.
   */
  @Override
  public CompletableFuture<Sandbox> restart(String sandboxId, Map<String, String> env) {
    return locked(
        sandboxId,
        () -> {
          RemoteSandboxRecord record =
              readRecord(sandboxId).orElseThrow(() -> new SandboxNotFoundException(ID, sandboxId));
          stopNow(record);
          writeRecord(record.withEnv(env).withStopped(false));
          log.info("remote sandbox {} restarted with env keys {}", sandboxId, env.keySet());
          return connectNow(sandboxId);
        });
  }

  @Override
  public CompletableFuture<Void> stop(String sandboxId) {
    return locked(
        sandboxId,
        () -> {
          readRecord(sandboxId).ifPresent(this::stopNow);
          return null;
        });
  }

  @Override
  public CompletableFuture<Void> destroy(String sandboxId) {
    return locked(
        sandboxId,
        () -> {
          Optional<RemoteSandboxRecord> record = readRecord(sandboxId);
          record.ifPresent(this::stopNow);
          if (record.isPresent() || exists(dir(sandboxId))) {
            await(admin.files().delete(dir(sandboxId), true));
            log.info("remote sandbox {} destroyed", sandboxId);
          }
          return null;
        });
  }

  @Override
  public CompletableFuture<SandboxState> state(String sandboxId) {
    return CompletableFuture.supplyAsync(() -> stateNow(sandboxId), executor);
  }

  @Override
  public CompletableFuture<List<SandboxSummary>> list() {
    return CompletableFuture.supplyAsync(
        () -> {
          List<SandboxSummary> result = new ArrayList<>();
          List<FileEntry> entries;
          try {
            entries = await(admin.files().entries(root));
          } catch (NotFoundException | InvalidRequestException e) {
            return result; // no root yet: no sandbox
          }
          entries.stream()
              .filter(FileEntry::isDirectory)
              .map(FileEntry::name)
              .filter(n -> n != null && n.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}"))
              .sorted()
              .forEach(
                  id ->
                      readRecord(id)
                          .ifPresent(
                              r ->
                                  result.add(
                                      new SandboxSummary(
                                          id,
                                          r.stopped()
                                              ? SandboxState.STOPPED
                                              : SandboxState.RUNNING))));
          return result;
        },
        executor);
  }

  /** Releases the provider's own client; sandboxes keep running on the server. */
  public void close() {
    admin.close();
  }

  // ---- the blocking work, run on the executor under the sandbox's lock -----------------------

  private Sandbox createNow(SandboxSpec spec) {
    String id = spec.sandboxId();
    String dir = dir(id);
    checkHealth();
    if (readRecord(id).isPresent()) {
      throw new ConflictException(ID + " sandbox '" + id + "' exists already", 409, null);
    }
    RemoteSandboxRecord record =
        new RemoteSandboxRecord(
            1, id, spec.env(), spec.offlineAgent(), false, System.currentTimeMillis());
    try {
      await(admin.files().mkdir(dir + "/home"));
      await(admin.files().mkdir(dir + "/work"));
      writeRecord(record);
      await(
              admin
                  .processes()
                  .run(
                      ProcessRequest.of(
                              "chmod", "700", root, dir, dir + "/" + RemoteSandboxRecord.FILE_NAME)
                          .withCwd("/")))
          .orThrow("chmod of the remote sandbox " + dir);
      if (spec.offlineAgent()) {
        ensureOfflineAgent();
      }
    } catch (RuntimeException e) {
      // A sandbox that never came up leaves nothing behind.
      try {
        await(admin.files().delete(dir, true));
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e instanceof SandboxAgentException
          ? e
          : new SandboxStartException("remote sandbox " + id + " could not be laid out", e);
    }
    log.info("remote sandbox {} created in {} on {}", id, dir, endpoint.baseUri());
    return sandbox(record);
  }

  private Sandbox connectNow(String sandboxId) {
    checkHealth();
    RemoteSandboxRecord record =
        readRecord(sandboxId).orElseThrow(() -> new SandboxNotFoundException(ID, sandboxId));
    if (record.stopped()) {
      record = record.withStopped(false);
      writeRecord(record);
      log.info("remote sandbox {} resumed", sandboxId);
    }
    if (record.offlineAgent()) {
      ensureOfflineAgent();
    }
    return sandbox(record);
  }

  private void stopNow(RemoteSandboxRecord record) {
    String id = record.sandboxId();
    String dir = dir(id);
    SandboxAgentClient scoped = client(record);
    try {
      // 1. The sandbox's ACP instances: 0.4.2 answers a DELETE of a live one only when the client
      //    gives up, and unregisters it at once; the agent exits when the request is aborted.
      List<SandboxAgentClient.AcpServerInfo> instances = await(scoped.acpServers());
      for (var instance : instances) {
        SandboxAgentHttp http = admin.http();
        try {
          http.send(
                  "end ACP " + instance.serverId(),
                  http.request("/v1/acp/" + instance.serverId())
                      .timeout(Duration.ofSeconds(2))
                      .DELETE()
                      .build())
              .handle((r, failure) -> null)
              .get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SandboxAgentException("interrupted while stopping " + id, e);
        } catch (ExecutionException | TimeoutException e) {
          // handled above; a stuck DELETE is what 0.4.2 does
        }
      }
      // 2. Every process of the sandbox, its detached descendants included.
      await(
              admin
                  .processes()
                  .run(
                      ProcessRequest.of(
                              "sh", "-c", KILL_SCRIPT, "kill-sandbox", dir, MARKER + "=" + id)
                          .withCwd("/")
                          .withTimeout(Duration.ofSeconds(20))))
          .orThrow("ending the processes of remote sandbox " + id);
      // 3. The server forgets the sandbox's exited processes.
      for (ProcessInfo p : await(scoped.processes().list())) {
        try {
          if (!p.running()) {
            await(admin.processes().delete(p.id()));
          }
        } catch (SandboxAgentException e) {
          log.debug("process {} of sandbox {} not forgotten: {}", p.id(), id, e.toString());
        }
      }
    } finally {
      scoped.close();
    }
    if (!record.stopped()) {
      writeRecord(record.withStopped(true));
      log.info("remote sandbox {} stopped", id);
    }
  }

  private SandboxState stateNow(String sandboxId) {
    return readRecord(sandboxId)
        .map(r -> r.stopped() ? SandboxState.STOPPED : SandboxState.RUNNING)
        .orElse(SandboxState.NOT_FOUND);
  }

  private void ensureOfflineAgent() {
    CompletableFuture<String> installing = offlineAgent;
    if (installing == null || installing.isCompletedExceptionally()) {
      synchronized (this) {
        installing = offlineAgent;
        if (installing == null || installing.isCompletedExceptionally()) {
          installing = OfflineAgentLauncher.install(admin);
          offlineAgent = installing;
        }
      }
    }
    try {
      installing.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new SandboxStartException(
          "installing the offline agent on " + endpoint.baseUri() + " failed", unwrap(e));
    }
  }

  private void checkHealth() {
    try {
      await(admin.health());
    } catch (SandboxAgentException e) {
      throw new SandboxStartException(
          "the remote sandbox-agent server at "
              + endpoint.baseUri()
              + " does not answer health: "
              + e.getMessage(),
          e);
    }
  }

  private Optional<RemoteSandboxRecord> readRecord(String sandboxId) {
    String path = dir(sandboxId) + "/" + RemoteSandboxRecord.FILE_NAME;
    String text;
    try {
      text = await(admin.files().readText(path));
    } catch (NotFoundException | InvalidRequestException e) {
      return Optional.empty(); // 0.4.2 answers a missing file with 400
    }
    try {
      return Optional.of(SandboxAgentHttp.JSON.readValue(text, RemoteSandboxRecord.class));
    } catch (java.io.IOException e) {
      throw new SandboxAgentException("unreadable record " + path + ": " + e.getMessage(), e);
    }
  }

  private void writeRecord(RemoteSandboxRecord record) {
    String path = dir(record.sandboxId()) + "/" + RemoteSandboxRecord.FILE_NAME;
    try {
      await(admin.files().writeText(path, SandboxAgentHttp.JSON.writeValueAsString(record)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private boolean exists(String path) {
    try {
      await(admin.files().stat(path));
      return true;
    } catch (NotFoundException | InvalidRequestException e) {
      return false;
    }
  }

  private Sandbox sandbox(RemoteSandboxRecord record) {
    return new Sandbox(
        record.sandboxId(),
        ID,
        dir(record.sandboxId()) + "/home",
        dir(record.sandboxId()) + "/work",
        client(record));
  }

  /** A client confined to the sandbox: its directory, its variables, its ACP instances. */
  private SandboxAgentClient client(RemoteSandboxRecord record) {
    String dir = dir(record.sandboxId());
    Map<String, String> env = new java.util.LinkedHashMap<>(record.env());
    env.put("HOME", dir + "/home");
    env.put(MARKER, record.sandboxId());
    return SandboxAgentClient.builder(endpoint)
        .executor(executor)
        .scope(new ClientScope(dir, dir + "/work", env, record.sandboxId() + ACP_SEPARATOR))
        .build();
  }

  private <T> CompletableFuture<T> locked(String sandboxId, Supplier<T> work) {
    return locks.run(sandboxId, work);
  }

  /** Waits for a call; its failure is rethrown as the client's exception. */
  private static <T> T await(Future<T> future) {
    try {
      return future.get(CALL.toSeconds() * 2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxAgentException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new SandboxAgentException(cause.toString(), cause);
    }
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
