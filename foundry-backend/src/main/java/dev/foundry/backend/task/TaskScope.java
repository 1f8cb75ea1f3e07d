package dev.foundry.backend.task;

import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskAddress;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the task's handler groups share, instead of the actor itself: the task's address, the
 * runtime that reaches other actors, the id of the command being decided (an idempotency key) and
 * the clock. Nothing in it changes between commands except what {@code commandIds} answers.
 */
record TaskScope(
    TaskAddress address, DurableRuntime runtime, Supplier<String> commandIds, LongSupplier clock) {

  String taskId() {
    return address.taskId();
  }

  String commandId() {
    return commandIds.get();
  }

  long now() {
    return clock.getAsLong();
  }

  /** Whether this backend runs sandboxes at all (a test runtime may not). */
  boolean runsSandboxes() {
    return runtime.runs(SandboxProtocol.TYPE);
  }

  /** The task's sandbox, one per task (created on first use). */
  DurableRef<SandboxProtocol.Command<?>> sandboxRef() {
    return runtime.getOrCreate(
        SandboxProtocol.TYPE, SandboxProtocol.key(address.organizationId(), address.taskId()));
  }

  DurableRef<UserProtocol.Command<?>> user(String userId) {
    return runtime.getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId));
  }

  static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
