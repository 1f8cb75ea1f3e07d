package dev.foundry.backend.sandbox;

import com.typesafe.config.Config;
import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.SandboxProtocol.Command;
import dev.foundry.backend.protocol.SandboxProtocol.SandboxAddress;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.sandbox.SandboxTables.SandboxRow;
import dev.foundry.sandbox.git.SandboxGit;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.shared.sandbox.RepositoryView;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * What the sandbox actor's handler groups share: the sandbox's address, its live handles in the
 * {@link SandboxHost}, a reference to the actor itself (listeners report back through it), and the
 * steps that need the live sandbox ({@link #withSandbox}, {@link #withRepository}). Lives as long
 * as one activation of the actor and is used on its thread, except {@link #send}.
 */
final class SandboxScope {
  final SandboxAddress address;
  final SandboxHost host;
  final SandboxHost.Live live;
  final Logger log;
  private final DurableRef<Command<?>> self;
  private final Supplier<String> commandId;

  /** The listeners' reports to this actor: in order, and never refused for being overloaded. */
  final ListenerDeliveries deliveries;

  SandboxScope(ActorSetup<SandboxTables> setup, Supplier<String> commandId) {
    this.address = SandboxAddress.of(setup.key());
    this.host = SandboxHost.get(setup.runtime().system());
    this.live = host.live(setup.key());
    this.log = setup.log();
    this.self = setup.runtime().get(SandboxProtocol.TYPE, setup.key());
    this.commandId = commandId;
    this.deliveries =
        live.deliveries(
            () ->
                new ListenerDeliveries(
                    self,
                    setup.runtime().system().executionContext(),
                    batchWindow(setup.runtime().system().settings().config())));
  }

  static final String BATCH_WINDOW_SETTING = "foundry.sandbox.transcript-batch-window";

  /** How long a turn's streamed updates are gathered into one write (50 ms when not configured). */
  static Duration batchWindow(Config config) {
    Duration window =
        config.hasPath(BATCH_WINDOW_SETTING)
            ? config.getDuration(BATCH_WINDOW_SETTING)
            : Duration.ofMillis(50);
    if (window.isNegative()) {
      throw new IllegalArgumentException(BATCH_WINDOW_SETTING + " must not be negative: " + window);
    }
    return window;
  }

  /** The id of the command being decided: an idempotency key for a turn. */
  String commandId() {
    return commandId.get();
  }

  /**
   * Runs {@code then} with the live sandbox, reattaching first when this process has no handle on
   * it (after a restart, the provider restarts a dead server on the same directories).
   */
  <R> Decision<R> withSandbox(SandboxTables t, Function<Sandbox, Decision<R>> then) {
    SandboxRow row = t.sandbox();
    if (row == null) {
      return Decision.reject(
          "no_sandbox", "the sandbox of task " + address.taskId() + " is not provisioned");
    }
    if (row.destroyed()) {
      return destroyedRejection();
    }
    Sandbox sb = live.sandbox;
    if (sb != null) {
      return then.apply(sb);
    }
    return Decision.after(
        host.provider().connect(row.sandboxId()),
        connected -> {
          attach(connected);
          return then.apply(connected);
        });
  }

  /** Runs {@code work} with git in the cloned repository; refused before anything is cloned. */
  <R> Decision<R> withRepository(
      SandboxTables t, BiFunction<SandboxGit, String, Decision<R>> work) {
    RepositoryView repo = t.repository();
    if (repo == null) {
      return Decision.reject("no_repository", "nothing is cloned into the sandbox yet");
    }
    return withSandbox(t, sb -> work.apply(new SandboxGit(sb.client(), sb.homeDir()), repo.dir()));
  }

  /** Makes {@code sb} the live handle, closing the one it replaces. */
  void attach(Sandbox sb) {
    Sandbox old = live.sandbox;
    live.sandbox = sb;
    if (old != null && old != sb) {
      old.close();
    }
  }

  /** Forgets the live handle (closing it): the next command that needs the sandbox reconnects. */
  void detach() {
    Sandbox old = live.sandbox;
    live.sandbox = null;
    if (old != null) {
      old.close();
    }
  }

  /** The live sandbox, for queries: they never reattach. */
  CompletionStage<Sandbox> attached() {
    Sandbox sb = live.sandbox;
    return sb != null
        ? CompletableFuture.completedFuture(sb)
        : CompletableFuture.failedFuture(
            new IllegalStateException(
                "the sandbox of task " + address.taskId() + " is not attached"));
  }

  <R> Decision<R> destroyedRejection() {
    return Decision.reject(
        "sandbox_destroyed", "the sandbox of task " + address.taskId() + " is destroyed");
  }

  /**
   * Once per actor system: asks the actor to rebuild what a restart lost ({@code Reattach}),
   * delivered like the listeners' reports: an actor flooded at its first activation still repairs
   * the sessions a restart left {@code running}.
   */
  void reattachSoon(Command<?> reattach) {
    deliveries.end(reattach);
  }

  static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  static long now() {
    return System.currentTimeMillis();
  }
}
