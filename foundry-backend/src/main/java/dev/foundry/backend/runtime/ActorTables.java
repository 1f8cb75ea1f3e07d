package dev.foundry.backend.runtime;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * An actor's table-access class: the only place, beside its migrations, where its SQL lives. The
 * runtime calls {@link #apply} for each persisted event inside a transaction that also records the
 * event's sequence number; the actor's handlers call its read methods.
 *
 * <p>{@code apply} must be deterministic: it runs again on replay (on a file restored from a
 * snapshot or rebuilt from the journal) and must produce the same rows.
 */
public abstract class ActorTables<E extends DurableEvent> {
  protected final Connection db;

  protected ActorTables(Connection db) {
    this.db = db;
  }

  /** Writes one event's effect. Called inside a transaction; never commit here. */
  protected abstract void apply(E event) throws SQLException;
}
