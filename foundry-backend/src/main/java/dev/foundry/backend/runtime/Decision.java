package dev.foundry.backend.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a command handler decided, for a command whose caller waits for an {@code R}. One of:
 *
 * <ul>
 *   <li>{@link #persist}: these events, applied to the tables in one transaction, then an optional
 *       reply computed from the updated tables ({@link #thenReply});
 *   <li>{@link #reply}: nothing to change, answer this;
 *   <li>{@link #reject}: refuse (bad input, wrong state); nothing changes;
 *   <li>{@link #after}: do I/O off the actor thread first; when it completes, decide again on the
 *       actor thread with its result. Queries keep being answered meanwhile; later commands wait.
 * </ul>
 *
 * <p>{@link Handlers#command} only accepts a handler of a {@code DurableCommand<R>} that decides a
 * {@code Decision<R>}, so a handler cannot answer the wrong type.
 */
public final class Decision<R> {
  enum Type {
    PERSIST,
    REJECT,
    FAILED,
    AFTER
  }

  final Type type;
  final List<DurableEvent> events;
  final Supplier<? extends R> reply;
  final CommandError error;
  final CompletionStage<?> io;
  final Function<Object, Decision<R>> then;
  final Function<Throwable, Decision<R>> onFailure;

  /** The deadline of {@link #io}; null: the runtime's {@code foundry.runtime.io-timeout}. */
  final Duration ioTimeout;

  private Decision(
      Type type,
      List<DurableEvent> events,
      Supplier<? extends R> reply,
      CommandError error,
      CompletionStage<?> io,
      Function<Object, Decision<R>> then,
      Function<Throwable, Decision<R>> onFailure) {
    this(type, events, reply, error, io, then, onFailure, null);
  }

  private Decision(
      Type type,
      List<DurableEvent> events,
      Supplier<? extends R> reply,
      CommandError error,
      CompletionStage<?> io,
      Function<Object, Decision<R>> then,
      Function<Throwable, Decision<R>> onFailure,
      Duration ioTimeout) {
    this.type = type;
    this.events = events;
    this.reply = reply;
    this.error = error;
    this.io = io;
    this.then = then;
    this.onFailure = onFailure;
    this.ioTimeout = ioTimeout;
  }

  private static <R> Supplier<R> noReply() {
    return () -> null;
  }

  public static <R> Decision<R> persist(DurableEvent... events) {
    return persist(List.of(events));
  }

  public static <R> Decision<R> persist(List<? extends DurableEvent> events) {
    return new Decision<>(Type.PERSIST, List.copyOf(events), noReply(), null, null, null, null);
  }

  /** Nothing to persist; the caller receives {@code value}. */
  public static <R> Decision<R> reply(R value) {
    return new Decision<>(Type.PERSIST, List.of(), () -> value, null, null, null, null);
  }

  public static <R> Decision<R> reject(String code, String message) {
    return new Decision<>(
        Type.REJECT, List.of(), noReply(), CommandError.rejected(code, message), null, null, null);
  }

  /**
   * Runs {@code io} (already started, off the actor thread), then {@code then} on the actor thread
   * with its result. A failed {@code io} fails the command with code {@code io_failed}, or with the
   * code of an {@link ActorException} it failed with. An {@code io} that has not finished within
   * the runtime's {@code foundry.runtime.io-timeout} (or the deadline given to {@code after}) fails
   * it with {@link IoTimeoutException} ({@code io_timeout}); its late result is ignored.
   */
  public static <X, R> Decision<R> after(
      CompletionStage<X> io, Function<? super X, Decision<R>> then) {
    return after(io, then, null);
  }

  /** Like {@link #after(CompletionStage, Function)}, deciding on failure too. */
  @SuppressWarnings("unchecked")
  public static <X, R> Decision<R> after(
      CompletionStage<X> io,
      Function<? super X, Decision<R>> then,
      Function<Throwable, Decision<R>> onFailure) {
    return new Decision<>(
        Type.AFTER,
        List.of(),
        noReply(),
        null,
        Objects.requireNonNull(io, "io"),
        value -> then.apply((X) value),
        onFailure);
  }

  /**
   * Like {@link #after(CompletionStage, Function)} with {@code ioTimeout} as the I/O's deadline
   * instead of the runtime's {@code foundry.runtime.io-timeout}: for work known to take longer (a
   * clone, a chain of calls that each have their own timeout).
   */
  public static <X, R> Decision<R> after(
      Duration ioTimeout, CompletionStage<X> io, Function<? super X, Decision<R>> then) {
    return after(ioTimeout, io, then, null);
  }

  /** Like {@link #after(CompletionStage, Function, Function)} with its own I/O deadline. */
  public static <X, R> Decision<R> after(
      Duration ioTimeout,
      CompletionStage<X> io,
      Function<? super X, Decision<R>> then,
      Function<Throwable, Decision<R>> onFailure) {
    if (ioTimeout == null || ioTimeout.isNegative() || ioTimeout.isZero()) {
      throw new IllegalArgumentException("an I/O timeout must be positive");
    }
    Decision<R> d = after(io, then, onFailure);
    return new Decision<>(d.type, d.events, d.reply, null, d.io, d.then, d.onFailure, ioTimeout);
  }

  /** Completes the command with a FAILED error; used by the runtime for handler bugs. */
  static <R> Decision<R> failed(CommandError error) {
    return new Decision<>(Type.FAILED, List.of(), noReply(), error, null, null, null);
  }

  /** Whether this decision refuses the command (a guard may only answer such a decision). */
  public boolean rejects() {
    return type == Type.REJECT;
  }

  /** This refusal as the decision of a command of another reply type (a refusal has no value). */
  @SuppressWarnings("unchecked")
  <S> Decision<S> asRefusal() {
    if (type != Type.REJECT) {
      throw new IllegalStateException("only a refusal answers for any command");
    }
    return (Decision<S>) this;
  }

  /**
   * Also sends {@code command} to {@code target}, durably: it is persisted with this decision's
   * events and delivered at least once, also across a crash (see {@link Outbound}). The target's
   * handler should be idempotent or dedupe by a key carried in the command.
   */
  public Decision<R> andTell(DurableRef<?> target, DurableCommand<?> command) {
    if (type != Type.PERSIST) {
      throw new IllegalStateException("only a persist decision can send commands");
    }
    List<DurableEvent> withOutbound = new ArrayList<>(events);
    withOutbound.add(
        new Outbound(target.kindName(), target.key().segments(), target.creates(), command));
    return new Decision<>(type, List.copyOf(withOutbound), reply, null, null, null, null);
  }

  /**
   * The events are kept, and the waiting caller is refused with {@code code}: for work that failed
   * in a way worth recording (e.g. a rejected git push in the audit log) that the caller must hear.
   */
  public <S> Decision<S> thenReject(String code, String message) {
    return this.<S>thenReply(
        () -> {
          throw new CommandRejectedException(null, code, message);
        });
  }

  /**
   * The waiting caller receives what {@code reply} returns, evaluated after the events apply. The
   * reply fixes the decision's type ({@code Decision.persist(e).thenReply(() -> id)} is a {@code
   * Decision<Long>}); the handler's declared {@code Decision<R>} is what must match the command.
   */
  public <S> Decision<S> thenReply(Supplier<? extends S> reply) {
    if (type != Type.PERSIST) {
      throw new IllegalStateException("only a persist decision has a reply");
    }
    return new Decision<>(type, events, reply, null, null, null, null);
  }
}
