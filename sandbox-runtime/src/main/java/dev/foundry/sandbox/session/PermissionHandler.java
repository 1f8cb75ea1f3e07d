package dev.foundry.sandbox.session;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides a permission request. The stage may complete much later (a user clicks in the UI); the
 * turn waits meanwhile. A turn that is cancelled answers its open requests with cancelled itself.
 */
@FunctionalInterface
public interface PermissionHandler {

  CompletionStage<PermissionDecision> decide(PermissionRequest request);

  /** Answers cancelled, like the TypeScript SDK does when nobody handles the request. */
  static PermissionHandler cancelAll() {
    return request -> CompletableFuture.completedFuture(PermissionDecision.cancelled());
  }

  /** Picks the first {@code allow_once} (else {@code allow_always}) option: unattended runs. */
  static PermissionHandler allowOnce() {
    return request ->
        CompletableFuture.completedFuture(
            request
                .option("allow_once")
                .or(() -> request.option("allow_always"))
                .<PermissionDecision>map(o -> PermissionDecision.select(o.optionId()))
                .orElse(PermissionDecision.cancelled()));
  }

  /** Picks the first {@code reject_once} (else {@code reject_always}) option. */
  static PermissionHandler rejectOnce() {
    return request ->
        CompletableFuture.completedFuture(
            request
                .option("reject_once")
                .or(() -> request.option("reject_always"))
                .<PermissionDecision>map(o -> PermissionDecision.select(o.optionId()))
                .orElse(PermissionDecision.cancelled()));
  }
}
