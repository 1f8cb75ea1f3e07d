package dev.foundry.backend.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

  /**
   * Decides several commands of one class together: one decision per command, in their order
   * (docs/architecture.md, "Batched commands"). The decisions are taken before any of them is
   * staged, so they must not depend on each other's effects; the handler sees every command of the
   * run at once and may coalesce them (decide the one that matters, answer the others as no-ops).
   */
  @FunctionalInterface
  public interface BatchHandler<X, T, R> {
    List<Decision<R>> decide(List<X> commands, T tables);
  }

  private final Map<Class<?>, BiFunction<Object, T, Decision<?>>> commands = new LinkedHashMap<>();
  private final Map<Class<?>, BiFunction<List<Object>, T, List<Decision<?>>>> batches =
      new LinkedHashMap<>();
  private final Map<Class<?>, Duration> gatherWindows = new LinkedHashMap<>();
  private final Set<Class<?>> decidedAlone = new HashSet<>();
  private final Map<Class<?>, BiFunction<Object, T, Object>> queries = new LinkedHashMap<>();
  private final Set<Class<?>> keptQueries = new HashSet<>();
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

  /**
   * A command decided on its own, as with {@link #command}, but written in batches like a {@link
   * #batch} class's: commands of the class that queued up while the actor wrote are decided one
   * after another, each seeing what the one before it staged, and written with one journal write.
   * For a command many callers send to one actor (the organization's task placements, the audit
   * log's entries), whose writes would otherwise take turns. Only for commands that decide without
   * I/O ({@link Decision#after} fails the command).
   */
  public <R, X extends DurableCommand<R>> Handlers<C, T> batchedCommand(
      Class<X> type, BiFunction<? super X, T, Decision<R>> handler) {
    command(type, handler);
    BiFunction<Object, T, Decision<?>> single = commands.get(type);
    batches.put(
        type,
        (one, tables) -> {
          List<Decision<?>> decided = new ArrayList<>(1);
          decided.add(single.apply(one.get(0), tables));
          return decided;
        });
    decidedAlone.add(type);
    return this;
  }

  /**
   * Registers a batch handler for {@code type}: commands of the class that reach an idle actor one
   * after another are decided together and written with one journal write; one alone is decided as
   * a batch of one. Only for commands that decide without I/O (a {@link Decision#after} fails the
   * command); typical use: many small updates from other actors' outboxes.
   */
  public <R, X extends DurableCommand<R>> Handlers<C, T> batch(
      Class<X> type, BatchHandler<X, T, R> handler) {
    return batch(type, Duration.ZERO, handler);
  }

  /**
   * {@link #batch}, whose batch waits up to {@code gather} after its first command for more to join
   * before it is decided: fewer, larger journal writes (each one an fsync) for updates that trickle
   * in one by one, at the cost of {@code gather} of latency. A command of another class that
   * arrives meanwhile ends the wait at once. For updates nobody waits on in person, such as
   * summaries from other actors' outboxes.
   */
  @SuppressWarnings("unchecked")
  public <R, X extends DurableCommand<R>> Handlers<C, T> batch(
      Class<X> type, Duration gather, BatchHandler<X, T, R> handler) {
    if (gather.isNegative()) {
      throw new IllegalArgumentException("a gather window must not be negative: " + gather);
    }
    command(type, (X command, T tables) -> handler.decide(List.of(command), tables).get(0));
    batches.put(
        type,
        (commands, tables) ->
            new ArrayList<>(handler.decide((List<X>) (List<?>) commands, tables)));
    if (!gather.isZero()) {
      gatherWindows.put(type, gather);
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

  /**
   * A query whose answer depends on nothing but the actor's tables: the answer is kept and given
   * again to the same query until the tables change, instead of being read again. Its answer must
   * be immutable, as every caller gets the same one.
   */
  public <R, Q extends ActorQuery<R>> Handlers<C, T> keptQuery(
      Class<Q> type, BiFunction<? super Q, T, ? extends R> handler) {
    query(type, handler);
    keptQueries.add(type);
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
      Handlers.this.command(type, guarded(handler));
      return this;
    }

    /** {@link Handlers#batchedCommand} behind this guard. */
    public <R, X extends DurableCommand<R>> Guarded batchedCommand(
        Class<X> type, BiFunction<? super X, T, Decision<R>> handler) {
      Handlers.this.batchedCommand(type, guarded(handler));
      return this;
    }

    private <R, X extends DurableCommand<R>> BiFunction<X, T, Decision<R>> guarded(
        BiFunction<? super X, T, Decision<R>> handler) {
      return (X command, T tables) -> {
        Decision<?> refused = guard.check(command, tables);
        return refused == null ? handler.apply(command, tables) : refused.<R>asRefusal();
      };
    }

    /** {@link Handlers#batch} behind this guard: a refused command gets its refusal. */
    public <R, X extends DurableCommand<R>> Guarded batch(
        Class<X> type, BatchHandler<X, T, R> handler) {
      return batch(type, Duration.ZERO, handler);
    }

    /** {@link Handlers#batch(Class, Duration, BatchHandler)} behind this guard. */
    public <R, X extends DurableCommand<R>> Guarded batch(
        Class<X> type, Duration gather, BatchHandler<X, T, R> handler) {
      Handlers.this.batch(
          type,
          gather,
          (List<X> commands, T tables) -> {
            List<Decision<R>> decisions = new ArrayList<>(commands.size());
            List<X> passed = new ArrayList<>(commands.size());
            for (X command : commands) {
              Decision<?> refused = guard.check(command, tables);
              decisions.add(refused == null ? null : refused.<R>asRefusal());
              if (refused == null) {
                passed.add(command);
              }
            }
            if (!passed.isEmpty()) {
              List<Decision<R>> decided = handler.decide(passed, tables);
              if (decided == null || decided.size() != passed.size()) {
                throw new IllegalStateException(
                    "batch handler of " + type.getSimpleName() + " answered the wrong count");
              }
              int next = 0;
              for (int i = 0; i < decisions.size(); i++) {
                if (decisions.get(i) == null) {
                  decisions.set(i, decided.get(next++));
                }
              }
            }
            return decisions;
          });
      return this;
    }
  }

  /** The batch handler of exactly {@code type}, or null: the class is not batched. */
  BiFunction<List<Object>, T, List<Decision<?>>> batchHandler(Class<?> type) {
    return batches.get(type);
  }

  /** Whether {@code type} is a {@link #batchedCommand}: a run of its commands is one command. */
  boolean decidedAlone(Class<?> type) {
    return decidedAlone.contains(type);
  }

  /** How long a batch that {@code type} starts waits for more commands; zero: not at all. */
  Duration gatherWindow(Class<?> type) {
    return gatherWindows.getOrDefault(type, Duration.ZERO);
  }

  BiFunction<Object, T, Decision<?>> commandHandler(Class<?> type) {
    return find(commands, type);
  }

  boolean keeps(Class<?> queryType) {
    return keptQueries.contains(queryType);
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
