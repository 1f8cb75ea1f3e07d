package dev.foundry.backend.persistence;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.foundry.migrations.MigrationSet;
import dev.foundry.migrations.Migrator;
import dev.foundry.migrations.PostgresMigrator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;

/**
 * The journal's PostgreSQL database, when {@code foundry.persistence.journal-url} names one: where
 * to connect, the schema ({@link #prepare}, before the actor system starts, like {@link
 * JournalDatabase#prepare} for the SQLite file), and a small pool of connections for the runtime's
 * own statements on it (trimming, actor backups). The plugin has its own pool.
 */
public final class PostgresJournal implements AutoCloseable {
  /** The migration set (db-migrations: {@code db/migrations/journal-postgres/}). */
  public static final String MIGRATION_KIND = "journal-postgres";

  private final String url;
  private final String user;
  private final String password;
  private volatile HikariDataSource pool;

  PostgresJournal(String url, String user, String password) {
    this.url = url;
    this.user = user;
    this.password = password;
  }

  /** The plugin's profile when its shared database is PostgreSQL. */
  private static final String PROFILE = "slick.jdbc.PostgresProfile$";

  /**
   * Whether the journal of {@code config} is on PostgreSQL: read from the plugin's own shared
   * database, which FoundryConfig chose from {@code journal-url}, so it says what the plugin uses.
   */
  public static boolean configured(Config config) {
    String path = "pekko-persistence-jdbc.shared-databases.foundry.profile";
    return config.hasPath(path) && PROFILE.equals(config.getString(path));
  }

  /** The database {@code config} names; call only when it names one. */
  public static PostgresJournal of(Config config) {
    return new PostgresJournal(
        config.getString("foundry.persistence.journal-url").strip(),
        config.getString("foundry.persistence.journal-user"),
        config.getString("foundry.persistence.journal-password"));
  }

  /** What {@link #prepare} found and did. */
  public record Prepared(String location, int fromVersion, int toVersion) {}

  /**
   * Applies the pending migrations of {@value #MIGRATION_KIND} (idempotent; safe when several
   * processes start at once: see {@link PostgresMigrator}).
   *
   * @throws IllegalStateException naming the database when it cannot be reached or migrated
   */
  public Prepared prepare() {
    try (Connection c = DriverManager.getConnection(url, credentials())) {
      Migrator.Result result = PostgresMigrator.migrate(c, MigrationSet.load(MIGRATION_KIND));
      return new Prepared(location(), result.fromVersion(), result.toVersion());
    } catch (SQLException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot prepare the journal database " + location() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The newest {@code limit} events of {@code persistenceId}, newest first, on a connection of its
   * own (the operator's inspector; rare).
   */
  public List<JournalDatabase.JournalEntry> recentEntries(String persistenceId, int limit)
      throws SQLException {
    try (Connection c = DriverManager.getConnection(url, credentials());
        PreparedStatement s =
            c.prepareStatement(
                "SELECT ordering, sequence_number, write_timestamp, event_ser_manifest,"
                    + " event_payload FROM event_journal WHERE persistence_id = ? AND NOT deleted"
                    + " ORDER BY sequence_number DESC LIMIT ?")) {
      return JournalDatabase.entries(s, persistenceId, limit);
    }
  }

  /** The URL without its query, which may carry a password: what logs and errors show. */
  public String location() {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }

  private Properties credentials() {
    Properties properties = new Properties();
    if (!user.isEmpty()) {
      properties.setProperty("user", user);
    }
    if (!password.isEmpty()) {
      properties.setProperty("password", password);
    }
    return properties;
  }

  /**
   * A connection from this process's small pool (opened on first use): a connection per statement
   * would cost an authentication round trip at every actor activation.
   */
  public Connection connect() throws SQLException {
    HikariDataSource p = pool;
    if (p == null) {
      synchronized (this) {
        if (pool == null) {
          HikariConfig config = new HikariConfig();
          config.setJdbcUrl(url);
          config.setDataSourceProperties(credentials());
          config.setPoolName("foundry-journal-runtime");
          config.setMaximumPoolSize(4);
          // One connection stays open: a backup or a trim does not wait for a new one.
          config.setMinimumIdle(1);
          // A database that is down fails the caller within seconds instead of blocking it.
          config.setConnectionTimeout(10_000);
          config.setInitializationFailTimeout(-1);
          pool = new HikariDataSource(config);
        }
        p = pool;
      }
    }
    return p.getConnection();
  }

  @Override
  public synchronized void close() {
    if (pool != null) {
      pool.close();
      pool = null;
    }
  }
}
