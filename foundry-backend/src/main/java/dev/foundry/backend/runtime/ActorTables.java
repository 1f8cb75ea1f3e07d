package dev.foundry.backend.runtime;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

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

  /** Reads one row of a result. */
  protected interface RowReader<V> {
    V read(ResultSet rs) throws SQLException;
  }

  /** Runs a statement with positional parameters (in {@link #apply}: inside the transaction). */
  protected final void exec(String sql, Object... args) throws SQLException {
    try (PreparedStatement s = db.prepareStatement(sql)) {
      bind(s, args);
      s.executeUpdate();
    }
  }

  /** Runs a query with positional parameters and reads every row; the result set is closed. */
  protected final <V> List<V> rows(String sql, RowReader<V> reader, Object... args) {
    try (PreparedStatement s = db.prepareStatement(sql)) {
      bind(s, args);
      List<V> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(reader.read(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("query failed: " + sql + ": " + e.getMessage(), e);
    }
  }

  private static void bind(PreparedStatement s, Object[] args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      s.setObject(i + 1, args[i]);
    }
  }
}
