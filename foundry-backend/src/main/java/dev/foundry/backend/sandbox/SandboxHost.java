package dev.foundry.backend.sandbox;

import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.sandbox.git.GitCredentials;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentTurn;
import java.util.List;
import java.util.Map;
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
  private final Map<ActorKey, Live> live = new ConcurrentHashMap<>();

  private SandboxHost() {}

  /** Sets the provider new sandboxes are made with (and existing ones reattached through). */
  public SandboxHost configure(SandboxProvider provider, GitCredentialSource credentials) {
    this.provider = provider;
    this.credentials = credentials;
    return this;
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
