package dev.foundry.backend.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * An actor's command and query handlers, registered by class. A handler gets the message and the
 * actor's tables; command handlers return a {@link Decision}, query handlers the answer.
 */
public final class Handlers<C, T> {
  private final Map<Class<?>, BiFunction<Object, T, Decision>> commands = new LinkedHashMap<>();
  private final Map<Class<?>, BiFunction<Object, T, Object>> queries = new LinkedHashMap<>();
  private final Map<Class<?>, Object> resolved = new ConcurrentHashMap<>();

  Handlers() {}

  @SuppressWarnings("unchecked")
  public <X extends C> Handlers<C, T> command(
      Class<X> type, BiFunction<? super X, T, Decision> handler) {
    if (commands.putIfAbsent(type, (BiFunction<Object, T, Decision>) handler) != null) {
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

  BiFunction<Object, T, Decision> commandHandler(Class<?> type) {
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
