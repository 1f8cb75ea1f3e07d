package dev.foundry.backend.runtime;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a command handler decided. One of:
 *
 * <ul>
 *   <li>{@link #persist}: these events, applied to the tables in one transaction, then an optional
 *       reply computed from the updated tables ({@link #thenReply});
 *   <li>{@link #reply}: nothing to change, answer this;
 *   <li>{@link #reject}: refuse (bad input, wrong state); nothing changes;
 *   <li>{@link #after}: do I/O off the actor thread first; when it completes, decide again on the
 *       actor thread with its result. Queries keep being answered meanwhile; later commands wait.
 * </ul>
 */
public final class Decision {
  enum Type {
    PERSIST,
    REJECT,
    FAILED,
    AFTER
  }

  private static final Supplier<Object> NO_REPLY = () -> null;

  final Type type;
  final List<DurableEvent> events;
  final Supplier<?> reply;
  final CommandError error;
  final CompletionStage<?> io;
  final Function<Object, Decision> then;
  final Function<Throwable, Decision> onFailure;

  private Decision(
      Type type,
      List<DurableEvent> events,
      Supplier<?> reply,
      CommandError error,
      CompletionStage<?> io,
      Function<Object, Decision> then,
      Function<Throwable, Decision> onFailure) {
    this.type = type;
    this.events = events;
    this.reply = reply;
    this.error = error;
    this.io = io;
    this.then = then;
    this.onFailure = onFailure;
  }

  public static Decision persist(DurableEvent... events) {
    return persist(List.of(events));
  }

  public static Decision persist(List<? extends DurableEvent> events) {
    return new Decision(Type.PERSIST, List.copyOf(events), NO_REPLY, null, null, null, null);
  }

  /** Nothing to persist; the caller receives {@code value}. */
  public static Decision reply(Object value) {
    return new Decision(Type.PERSIST, List.of(), () -> value, null, null, null, null);
  }

  public static Decision reject(String code, String message) {
    return new Decision(
        Type.REJECT, List.of(), NO_REPLY, CommandError.rejected(code, message), null, null, null);
  }

  /**
   * Runs {@code io} (already started, off the actor thread), then {@code then} on the actor thread
   * with its result. A failed {@code io} fails the command with code {@code io_failed}, or with the
   * code of an {@link ActorException} it failed with.
   */
  @SuppressWarnings("unchecked")
  public static <X> Decision after(CompletionStage<X> io, Function<? super X, Decision> then) {
    return new Decision(
        Type.AFTER,
        List.of(),
        NO_REPLY,
        null,
        Objects.requireNonNull(io, "io"),
        (Function<Object, Decision>) then,
        null);
  }

  /** Like {@link #after(CompletionStage, Function)}, deciding on failure too. */
  @SuppressWarnings("unchecked")
  public static <X> Decision after(
      CompletionStage<X> io,
      Function<? super X, Decision> then,
      Function<Throwable, Decision> onFailure) {
    return new Decision(
        Type.AFTER,
        List.of(),
        NO_REPLY,
        null,
        Objects.requireNonNull(io, "io"),
        (Function<Object, Decision>) then,
        onFailure);
  }

  /** Completes the command with a FAILED error; used by the runtime for handler bugs. */
  static Decision failed(CommandError error) {
    return new Decision(Type.FAILED, List.of(), NO_REPLY, error, null, null, null);
  }

  /**
   * Also sends {@code command} to {@code target}, durably: it is persisted with this decision's
   * events and delivered at least once, also across a crash (see {@link Outbound}). The target's
   * handler should be idempotent or dedupe by a key carried in the command.
   */
  public Decision andTell(DurableRef<?> target, DurableCommand<?> command) {
    if (type != Type.PERSIST) {
      throw new IllegalStateException("only a persist decision can send commands");
    }
    java.util.List<DurableEvent> withOutbound = new java.util.ArrayList<>(events);
    withOutbound.add(
        new Outbound(target.kindName(), target.key().segments(), target.creates(), command));
    return new Decision(type, List.copyOf(withOutbound), reply, null, null, null, null);
  }

  /**
   * The events are kept, and the waiting caller is refused with {@code code}: for work that failed
   * in a way worth recording (e.g. a rejected git push in the audit log) that the caller must hear.
   */
  public Decision thenReject(String code, String message) {
    return thenReply(
        () -> {
          throw new CommandRejectedException(null, code, message);
        });
  }

  /** The waiting caller receives what {@code reply} returns, evaluated after the events apply. */
  public Decision thenReply(Supplier<?> reply) {
    if (type != Type.PERSIST) {
      throw new IllegalStateException("only a persist decision has a reply");
    }
    return new Decision(type, events, reply, null, null, null, null);
  }
}
