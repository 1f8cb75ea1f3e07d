package dev.foundry.backend.organization;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

/**
 * One read model of what an actor holds, kept in memory for the HTTP edge: a key is loaded with one
 * query on first use, and the owning actor {@linkplain #invalidate invalidates} it after applying a
 * change to it and before answering the command, so the very next read after that answer asks the
 * actor again. A read therefore never queues behind the actor's writes once the key is loaded, and
 * never sees a value older than the last acknowledged change.
 *
 * <p>A load that raced with an invalidation is not kept: each key hashes to a generation counter
 * that an invalidation bumps; a loaded value is stored only if its counter did not move since the
 * query was sent (the query's answer may predate the change). Absent values ({@code null}) are not
 * kept, so a key that does not exist yet costs a query each time. Memory is bounded: past {@code
 * maxEntries} the view starts over empty.
 */
final class CurrentView<K, V> {
  private static final int STRIPES = 1024;

  private final ConcurrentHashMap<K, V> entries = new ConcurrentHashMap<>();
  private final AtomicLongArray generations = new AtomicLongArray(STRIPES);
  private final int maxEntries;

  CurrentView(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /** The kept value of {@code key}, or what {@code load} answers (kept unless it raced). */
  CompletionStage<V> get(K key, Supplier<CompletionStage<V>> load) {
    V kept = entries.get(key);
    if (kept != null) {
      return CompletableFuture.completedFuture(kept);
    }
    int stripe = stripe(key);
    long generation = generations.get(stripe);
    return load.get()
        .thenApply(
            loaded -> {
              if (loaded != null) {
                keep(key, loaded, stripe, generation);
              }
              return loaded;
            });
  }

  private void keep(K key, V loaded, int stripe, long generation) {
    if (entries.size() >= maxEntries) {
      entries.clear();
    }
    // compute is atomic with invalidate's remove of the same key: either this runs first and the
    // remove follows, or it sees the bumped generation and keeps nothing.
    entries.compute(key, (k, current) -> generations.get(stripe) == generation ? loaded : current);
  }

  /**
   * Forgets {@code key}; a load in flight for it is not kept. Called before the change is answered.
   */
  void invalidate(K key) {
    generations.incrementAndGet(stripe(key));
    entries.remove(key);
  }

  /** Whether {@code key} is held in memory now (for tests and the docs' claims). */
  boolean holds(K key) {
    return entries.containsKey(key);
  }

  private static int stripe(Object key) {
    int h = key.hashCode();
    return (h ^ (h >>> 16)) & (STRIPES - 1);
  }
}
