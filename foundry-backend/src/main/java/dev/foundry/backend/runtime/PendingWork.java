package dev.foundry.backend.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable list of actors with accepted-but-not-completed commands, so that a restart resumes
 * their queues at once instead of when someone next addresses them. Marked before the first queued
 * command (or outbox row) is persisted; cleared once the actor has stayed settled a moment, or when
 * it stops ({@link ActorInstance#settled}). A stale entry only costs one activation.
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

  /**
   * The row both stores write: {@code (persistence_id, kind, key_json, since)} bound to the four
   * parameters of their insert.
   */
  static void bindRow(PreparedStatement insert, String persistenceId, String kind, ActorKey key)
      throws SQLException {
    insert.setString(1, persistenceId);
    insert.setString(2, kind);
    try {
      insert.setString(3, Json.MAPPER.writeValueAsString(key.segments()));
    } catch (JsonProcessingException e) {
      throw new SQLException("cannot write the key of " + persistenceId, e);
    }
    insert.setLong(4, System.currentTimeMillis());
  }

  /** The entries of a {@code SELECT kind, key_json} result, in its order. */
  static List<Entry> entries(ResultSet rows) throws SQLException {
    List<Entry> out = new ArrayList<>();
    while (rows.next()) {
      try {
        List<String> segments =
            Json.MAPPER.readValue(rows.getString(2), new TypeReference<List<String>>() {});
        out.add(new Entry(rows.getString(1), new ActorKey(segments)));
      } catch (IOException e) {
        throw new SQLException("unreadable pending-work key " + rows.getString(2), e);
      }
    }
    return out;
  }

  /** Holds the mapper (an interface has no private static fields). */
  final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}
  }
}
