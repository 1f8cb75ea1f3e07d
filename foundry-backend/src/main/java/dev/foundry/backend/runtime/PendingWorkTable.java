package dev.foundry.backend.runtime;

import dev.foundry.backend.persistence.PostgresJournal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Cluster mode's pending-work list: the {@code pending_work} table of the journal's PostgreSQL
 * database ({@code journal-postgres} migrations), shared by every node. Any node wakes every listed
 * actor when it starts and when a member leaves the cluster, so accepted commands of an actor whose
 * node died resume on another node without waiting for a caller.
 */
final class PendingWorkTable implements PendingWork {
  private final PostgresJournal database;

  PendingWorkTable(PostgresJournal database) {
    this.database = database;
  }

  @Override
  public void mark(String persistenceId, String kind, ActorKey key) {
    try (Connection c = database.connect();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO pending_work (persistence_id, kind, key_json, since)"
                    + " VALUES (?, ?, ?, ?) ON CONFLICT (persistence_id) DO NOTHING")) {
      PendingWork.bindRow(s, persistenceId, kind, key);
      s.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot mark pending work of " + persistenceId, e);
    }
  }

  @Override
  public void clear(String persistenceId) {
    try (Connection c = database.connect();
        PreparedStatement s =
            c.prepareStatement("DELETE FROM pending_work WHERE persistence_id = ?")) {
      s.setString(1, persistenceId);
      s.executeUpdate();
    } catch (SQLException e) {
      // A stale row only wakes the actor once more.
    }
  }

  @Override
  public List<Entry> all() {
    try (Connection c = database.connect();
        PreparedStatement s =
            c.prepareStatement("SELECT kind, key_json FROM pending_work ORDER BY since");
        ResultSet rs = s.executeQuery()) {
      return PendingWork.entries(rs);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read pending work", e);
    }
  }

  @Override
  public void close() {
    // The connections belong to the journal's pool, closed with it.
  }
}
