package dev.foundry.backend.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * An actor's table-access class: the only place, beside its migrations, where its SQL lives. Its
 * constructor registers one method per event class ({@link #on}, the anchors' {@code onEvent}); the
 * runtime calls {@link #apply} for each persisted event inside a transaction that also records the
 * event's sequence number; the actor's handlers call its read methods.
 *
 * <p>Applying must be deterministic: it runs again on replay (on a file restored from a snapshot or
 * rebuilt from the journal) and must produce the same rows.
 */
public abstract class ActorTables<E extends DurableEvent> {
  /**
   * The one mapper for JSON columns. Plain Jackson defaults on purpose: the columns already written
   * were written with them, and this is not the journal's mapper (which names types).
   */
  private static final ObjectMapper COLUMNS = new ObjectMapper();

  /** At most this many statements stay prepared per actor (its queries are a few dozen). */
  private static final int MAX_PREPARED = 64;

  protected final Connection db;
  private final Map<Class<?>, EventApplier<?>> appliers = new HashMap<>();

  /**
   * The statements of {@link #rows} and {@link #exec}, kept prepared by their SQL text: preparing
   * parsed and planned the same SQL on every call, a tenth of a command's time. A statement is
   * taken out while it runs, so a query run again from inside its own row reader gets one of its
   * own. Only the actor's thread uses its tables; the connection's close finalizes what is left.
   */
  private final LinkedHashMap<String, PreparedStatement> prepared = new LinkedHashMap<>();

  /**
   * {@link ActorDatabase#changes()} of the file these tables read; -1 until the runtime sets it.
   */
  private LongSupplier changes = () -> -1;

  protected ActorTables(Connection db) {
    this.db = db;
  }

  /** Called by the runtime when it opens the tables on its file. */
  final void watchChanges(LongSupplier changes) {
    this.changes = changes;
  }

  /**
   * A count that moves whenever these tables may have changed (each staging, each undo), or -1 when
   * unknown. Equal counts mean equal tables, so a value read from them at one count may be given
   * again at the same count instead of being read again.
   */
  protected final long changes() {
    return changes.getAsLong();
  }

  /** Writes one event's effect. Called inside a transaction; never commits. */
  @FunctionalInterface
  protected interface EventApplier<X> {
    void apply(X event) throws SQLException;
  }

  /** Registers how events of {@code type} change the tables (call from the constructor). */
  protected final <X extends E> void on(Class<X> type, EventApplier<? super X> applier) {
    if (appliers.putIfAbsent(type, applier) != null) {
      throw new IllegalStateException("two appliers for event " + type.getName());
    }
  }

  /** Registers an event that changes no table (it exists for what follows it, e.g. the audit). */
  protected final <X extends E> void ignore(Class<X> type) {
    on(type, event -> {});
  }

  /**
   * Writes one event's effect through the applier registered for its class. Called inside a
   * transaction; never commit here.
   */
  @SuppressWarnings("unchecked")
  protected void apply(E event) throws SQLException {
    EventApplier<Object> applier = (EventApplier<Object>) appliers.get(event.getClass());
    if (applier == null) {
      throw new IllegalStateException(
          getClass().getSimpleName() + " has no applier for " + event.getClass().getName());
    }
    applier.apply(event);
  }

  /** {@code value} as a JSON column. */
  protected static String json(Object value) {
    try {
      return COLUMNS.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write a JSON column: " + e.getMessage(), e);
    }
  }

  /** {@code value} as a nullable JSON column: null stays SQL NULL. */
  protected static String jsonOrNull(Object value) {
    return value == null ? null : json(value);
  }

  /** A JSON column read as {@code type}; null stays null. */
  protected static <V> V fromJson(String json, Class<V> type) {
    return fromJson(json, COLUMNS.constructType(type));
  }

  /** A JSON column read as {@code type}; null stays null. */
  protected static <V> V fromJson(String json, TypeReference<V> type) {
    return fromJson(json, COLUMNS.constructType(type));
  }

  private static <V> V fromJson(String json, JavaType type) {
    if (json == null) {
      return null;
    }
    try {
      return COLUMNS.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable JSON column: " + e.getMessage(), e);
    }
  }

  /** Runs a query and reads its first row, or null when it has none. */
  protected final <V> V one(String sql, RowReader<V> reader, Object... args) {
    List<V> found = rows(sql, reader, args);
    return found.isEmpty() ? null : found.get(0);
  }

  /** Reads one row of a result. */
  protected interface RowReader<V> {
    V read(ResultSet rs) throws SQLException;
  }

  /** Runs a statement with positional parameters (in {@link #apply}: inside the transaction). */
  protected final void exec(String sql, Object... args) throws SQLException {
    PreparedStatement s = take(sql);
    boolean ok = false;
    try {
      bind(s, args);
      s.executeUpdate();
      ok = true;
    } finally {
      giveBack(sql, s, ok);
    }
  }

  /** Runs a query with positional parameters and reads every row; the result set is closed. */
  protected final <V> List<V> rows(String sql, RowReader<V> reader, Object... args) {
    try {
      PreparedStatement s = take(sql);
      boolean ok = false;
      try {
        bind(s, args);
        List<V> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(reader.read(rs));
          }
        }
        ok = true;
        return out;
      } finally {
        giveBack(sql, s, ok);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("query failed: " + sql + ": " + e.getMessage(), e);
    }
  }

  private PreparedStatement take(String sql) throws SQLException {
    PreparedStatement s = prepared.remove(sql);
    return s != null ? s : db.prepareStatement(sql);
  }

  /** Keeps {@code s} for its SQL's next call; one that failed is closed instead. */
  private void giveBack(String sql, PreparedStatement s, boolean ok) throws SQLException {
    if (!ok) {
      try {
        s.close();
      } catch (SQLException e) {
        // the failure at hand is the one to report
      }
      return;
    }
    PreparedStatement other = prepared.put(sql, s);
    if (other != null) {
      other.close(); // the inner one of a nested run
    }
    if (prepared.size() > MAX_PREPARED) {
      Iterator<PreparedStatement> eldest = prepared.values().iterator();
      PreparedStatement dropped = eldest.next();
      eldest.remove();
      dropped.close();
    }
  }

  private static void bind(PreparedStatement s, Object[] args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      s.setObject(i + 1, args[i]);
    }
  }
}
