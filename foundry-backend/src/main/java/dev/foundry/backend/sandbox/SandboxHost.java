package dev.foundry.backend.sandbox;

import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.sandbox.git.GitCredentials;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentTurn;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the sandbox actors of one actor system share: the provider that makes sandboxes, where git
 * credentials come from, and the live handles of each sandbox. Handles outlive passivation (the
 * next incarnation finds them here) and die with the actor system, which is what a backend restart
 * is: the next system starts with none and the actors rebuild them from their tables.
 *
 * <p>Configure it before the first sandbox command: {@code SandboxHost.get(system).configure(...)}.
 */
public final class SandboxHost implements Extension {
  private static final Logger log = LoggerFactory.getLogger(SandboxHost.class);

  /**
   * Where a sandbox's git credentials come from: the owner's OAuth token, an installation token.
   * Asked at the moment they are written, so secrets never travel in commands or events (both are
   * journaled).
   */
  @FunctionalInterface
  public interface GitCredentialSource {
    CompletionStage<List<GitCredentials>> credentialsFor(String organizationId, String userId);
  }

  /**
   * A user's agent keys as sandbox environment variables ({@code ANTHROPIC_API_KEY}, {@code
   * OPENAI_API_KEY}), asked when that user's sandbox starts: secrets never travel in commands or
   * events.
   */
  @FunctionalInterface
  public interface AgentKeySource {
    CompletionStage<Map<String, String>> keysFor(String userId);
  }

  /** How many sandboxes may live at once, in all and per organization. */
  public record Limits(int maxSandboxes, int maxPerOrganization) {
    public static final Limits NONE = new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE);
  }

  /** The organization of a live sandbox found by the provider at start, before its actor ran. */
  private static final String UNKNOWN_ORGANIZATION = "";

  public static final ExtensionId<SandboxHost> ID =
      new ExtensionId<>() {
        @Override
        public SandboxHost createExtension(ActorSystem<?> system) {
          SandboxHost host = new SandboxHost();
          system.getWhenTerminated().thenRun(host::releaseAll);
          return host;
        }
      };

  public static SandboxHost get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private volatile SandboxProvider provider;
  private volatile GitCredentialSource credentials =
      (org, user) -> CompletableFuture.completedFuture(List.of());
  private volatile AgentKeySource agentKeys = user -> CompletableFuture.completedFuture(Map.of());
  private final Map<ActorKey, Live> live = new ConcurrentHashMap<>();

  private volatile Limits limits = Limits.NONE;

  /** Live sandboxes (provisioned, not destroyed) by sandbox id, with their organization. */
  private final Map<String, String> liveSandboxes = new HashMap<>();

  private SandboxHost() {}

  /** Sets the provider new sandboxes are made with (and existing ones reattached through). */
  public SandboxHost configure(SandboxProvider provider, GitCredentialSource credentials) {
    this.provider = provider;
    this.credentials = credentials;
    return this;
  }

  /**
   * Sets where the owners' git credentials come from (GitHub sign-in sets it once the runtime runs,
   * after {@link #configure}).
   */
  public SandboxHost gitCredentials(GitCredentialSource source) {
    this.credentials = source;
    return this;
  }

  /** Sets where the owners' agent keys come from. */
  public SandboxHost agentKeys(AgentKeySource source) {
    this.agentKeys = source;
    return this;
  }

  AgentKeySource agentKeys() {
    return agentKeys;
  }

  /**
   * Bounds the live sandboxes, counting those the provider already has (they survived a restart):
   * each counts toward the global limit at once, and toward its organization's from the first time
   * its actor runs in this process.
   */
  public SandboxHost limit(Limits limits) {
    List<SandboxProvider.SandboxSummary> existing = provider().list().join();
    synchronized (liveSandboxes) {
      for (var s : existing) {
        liveSandboxes.putIfAbsent(s.sandboxId(), UNKNOWN_ORGANIZATION);
      }
    }
    this.limits = limits;
    return this;
  }

  /**
   * Takes a slot for a new sandbox of {@code organizationId}; empty if granted, else why not. A
   * sandbox already counted keeps its slot.
   */
  Optional<String> reserve(String organizationId, String sandboxId) {
    Limits l = limits;
    synchronized (liveSandboxes) {
      if (liveSandboxes.containsKey(sandboxId)) {
        liveSandboxes.put(sandboxId, organizationId);
        return Optional.empty();
      }
      if (liveSandboxes.size() >= l.maxSandboxes()) {
        return Optional.of(
            "this backend runs its maximum of "
                + l.maxSandboxes()
                + " live sandboxes; archive a task to free one");
      }
      long ofOrganization = liveSandboxes.values().stream().filter(organizationId::equals).count();
      if (ofOrganization >= l.maxPerOrganization()) {
        return Optional.of(
            "organization "
                + organizationId
                + " has its maximum of "
                + l.maxPerOrganization()
                + " live sandboxes; archive a task to free one");
      }
      liveSandboxes.put(sandboxId, organizationId);
      return Optional.empty();
    }
  }

  /** Counts a sandbox that exists (reattached, or found again) toward its organization. */
  void counted(String organizationId, String sandboxId) {
    synchronized (liveSandboxes) {
      liveSandboxes.put(sandboxId, organizationId);
    }
  }

  /** Frees the slot of a destroyed sandbox (or of one whose creation failed). */
  void released(String sandboxId) {
    synchronized (liveSandboxes) {
      liveSandboxes.remove(sandboxId);
    }
  }

  /** How many sandboxes are live, by this host's count. */
  public int liveCount() {
    synchronized (liveSandboxes) {
      return liveSandboxes.size();
    }
  }

  SandboxProvider provider() {
    SandboxProvider p = provider;
    if (p == null) {
      throw new IllegalStateException("no sandbox provider configured (SandboxHost.configure)");
    }
    return p;
  }

  GitCredentialSource credentials() {
    return credentials;
  }

  Live live(ActorKey key) {
    return live.computeIfAbsent(key, k -> new Live());
  }

  /** The actor system ended: let go of every connection (the sandboxes themselves keep running). */
  private void releaseAll() {
    live.values().forEach(Live::release);
    live.clear();
  }

  /** A turn in flight in this process. */
  record RunningTurn(String turnId, AgentTurn turn) {}

  /** One sandbox's live handles. Written on its actor's thread; read by listeners. */
  static final class Live {
    private final AtomicBoolean activated = new AtomicBoolean();
    volatile Sandbox sandbox;
    final Map<String, AgentSession> sessions = new ConcurrentHashMap<>();
    final Map<String, RunningTurn> turns = new ConcurrentHashMap<>();

    /** This system provisioned the sandbox itself: nothing to reattach. */
    volatile boolean provisionedHere;

    /** How the listeners report to the actor; made by its first activation. */
    private ListenerDeliveries deliveries;

    synchronized ListenerDeliveries deliveries(Supplier<ListenerDeliveries> make) {
      if (deliveries == null) {
        deliveries = make.get();
      }
      return deliveries;
    }

    /** True once per actor system: the first activation checks what a restart left behind. */
    boolean firstActivation() {
      return activated.compareAndSet(false, true);
    }

    void release() {
      synchronized (this) {
        if (deliveries != null) {
          deliveries.close();
        }
      }
      for (AgentSession s : sessions.values()) {
        try {
          s.closeAsync().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          log.debug("closing session {} on release: {}", s.sessionId(), e.toString());
        }
      }
      sessions.clear();
      turns.clear();
      Sandbox sb = sandbox;
      sandbox = null;
      if (sb != null) {
        sb.close();
      }
    }
  }
}
