package dev.foundry.backend.runtime;

import java.util.List;

/**
 * The durable list of actors with accepted-but-not-completed commands, so that a restart resumes
 * their queues at once instead of when someone next addresses them. Marked before the first queued
 * command is persisted; cleared when the queue empties. A stale entry only costs one activation.
 *
 * <p>One file per process on a single node ({@link PendingWorkFile}); in cluster mode a table
 * beside the shared journal ({@link PendingWorkTable}), so that the actors of a node that died are
 * woken by the others.
 */
interface PendingWork extends AutoCloseable {

  /** One actor to wake. */
  record Entry(String kind, ActorKey key) {}

  /** Lists the actor, durably, before its first queued command is written. */
  void mark(String persistenceId, String kind, ActorKey key);

  /** Unlists it; may be lost (one more activation later). */
  void clear(String persistenceId);

  List<Entry> all();

  @Override
  void close();
}
