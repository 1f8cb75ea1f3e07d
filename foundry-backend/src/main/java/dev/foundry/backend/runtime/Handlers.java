package dev.foundry.backend.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * An actor's command and query handlers, registered by class. A handler gets the message and the
 * actor's tables; command handlers return a {@link Decision} of the command's reply type, query
 * handlers the answer.
 *
 * <p>{@link #inState} is the anchors' {@code forState}: the handlers registered through it run only
 * when a guard lets the command through, so no handler repeats a lifecycle check.
 */
public final class Handlers<C, T> {
  /**
   * A lifecycle rule: null lets the command through, a {@link Decision#reject} refuses it (nothing
   * else may be answered: a guard never decides a command's effect).
   */
  @FunctionalInterface
  public interface Guard<T> {
    Decision<?> check(DurableCommand<?> command, T tables);
  }

  private final Map<Class<?>, BiFunction<Object, T, Decision<?>>> commands = new LinkedHashMap<>();
  private final Map<Class<?>, BiFunction<Object, T, Object>> queries = new LinkedHashMap<>();
  private final Map<Class<?>, Object> resolved = new ConcurrentHashMap<>();

  Handlers() {}

  @SuppressWarnings("unchecked")
  public <R, X extends DurableCommand<R>> Handlers<C, T> command(
      Class<X> type, BiFunction<? super X, T, Decision<R>> handler) {
    BiFunction<Object, T, Decision<?>> untyped = (c, t) -> handler.apply((X) c, t);
    if (commands.putIfAbsent(type, untyped) != null) {
      throw new IllegalStateException("two handlers for command " + type.getName());
    }
    return this;
  }

  @SuppressWarnings("unchecked")
  public <R, Q extends ActorQuery<R>> Handlers<C, T> query(
      Class<Q> type, BiFunction<? super Q, T, ? extends R> handler) {
    if (queries.putIfAbsent(type, (BiFunction<Object, T, Object>) handler) != null) {
      throw new IllegalStateException("two handlers for query " + type.getName());
    }
    return this;
  }

  /** Commands registered on the answer run only when {@code guard} lets them through. */
  public Guarded inState(Guard<? super T> guard) {
    return new Guarded(guard);
  }

  /** The commands of one lifecycle rule. */
  public final class Guarded {
    private final Guard<? super T> guard;

    private Guarded(Guard<? super T> guard) {
      this.guard = guard;
    }

    public <R, X extends DurableCommand<R>> Guarded command(
        Class<X> type, BiFunction<? super X, T, Decision<R>> handler) {
      Handlers.this.command(
          type,
          (X command, T tables) -> {
            Decision<?> refused = guard.check(command, tables);
            return refused == null ? handler.apply(command, tables) : refused.<R>asRefusal();
          });
      return this;
    }
  }

  BiFunction<Object, T, Decision<?>> commandHandler(Class<?> type) {
    return find(commands, type);
  }

  BiFunction<Object, T, Object> queryHandler(Class<?> type) {
    return find(queries, type);
  }

  @SuppressWarnings("unchecked")
  private <H> H find(Map<Class<?>, H> handlers, Class<?> type) {
    H exact = handlers.get(type);
    if (exact != null) {
      return exact;
    }
    return (H)
        resolved.computeIfAbsent(
            type,
            t ->
                handlers.entrySet().stream()
                    .filter(e -> e.getKey().isAssignableFrom(t))
                    .map(e -> (Object) e.getValue())
                    .findFirst()
                    .orElse(MISSING));
  }

  static final Object MISSING = new Object();
}
