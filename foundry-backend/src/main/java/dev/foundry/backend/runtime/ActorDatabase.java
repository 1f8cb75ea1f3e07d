package dev.foundry.backend.runtime;

import dev.foundry.migrations.MigrationSet;
import dev.foundry.migrations.Migrator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.sqlite.SQLiteConfig;

/**
 * One actor's SQLite file and the runtime's own tables in it ({@code _runtime_*}).
 *
 * <p>The file runs {@code synchronous=NORMAL} in WAL mode: the journal (FULL) is the source of
 * truth and replay restores whatever a power loss takes from this file.
 */
final class ActorDatabase implements AutoCloseable {
  private static final MigrationSet RUNTIME_TABLES = MigrationSet.load("actor-runtime");

  private final Path file;
  private final Connection connection;
  private long appliedSeqNr;
  private long stagedFrom = -1;

  private final PreparedStatement begin;
  private final PreparedStatement commit;
  private final PreparedStatement rollback;
  private final PreparedStatement savepoint;
  private final PreparedStatement releaseSavepoint;
  private final PreparedStatement rollbackToSavepoint;
  private final PreparedStatement updateApplied;

  private ActorDatabase(Path file, Connection connection, long appliedSeqNr) throws SQLException {
    this.file = file;
    this.connection = connection;
    this.appliedSeqNr = appliedSeqNr;
    this.begin = connection.prepareStatement("BEGIN");
    this.commit = connection.prepareStatement("COMMIT");
    this.rollback = connection.prepareStatement("ROLLBACK");
    this.savepoint = connection.prepareStatement("SAVEPOINT staged_command");
    this.releaseSavepoint = connection.prepareStatement("RELEASE staged_command");
    this.rollbackToSavepoint = connection.prepareStatement("ROLLBACK TO staged_command");
    this.updateApplied =
        connection.prepareStatement("UPDATE _runtime_applied SET seq_nr = ? WHERE id = 1");
    this.insertOutbox =
        connection.prepareStatement(
            "INSERT OR IGNORE INTO _runtime_outbox (id, outbound_json) VALUES (?, ?)");
    this.deleteOutbox = connection.prepareStatement("DELETE FROM _runtime_outbox WHERE id = ?");
    this.insertExecuted =
        connection.prepareStatement(
            "INSERT OR IGNORE INTO _runtime_executed_commands (command_id, executed_at)"
                + " VALUES (?, ?)");
    this.selectExecuted =
        connection.prepareStatement(
            "SELECT 1 FROM _runtime_executed_commands WHERE command_id = ?");
  }

  private final PreparedStatement insertOutbox;
  private final PreparedStatement deleteOutbox;

  /** Outbox rows acknowledged by their targets, not deleted yet; see {@link #acknowledgeOutbox}. */
  private final Set<String> acknowledged = new LinkedHashSet<>();

  private final PreparedStatement insertExecuted;
  private final PreparedStatement selectExecuted;
  private int stagedSincePrune;

  /**
   * How long the ids of executed commands are kept. An outbox sender retries until its target
   * acknowledges, with a backoff of at most 30 s; this covers a sender that stays down for days.
   */
  static final Duration EXECUTED_RETENTION = Duration.ofDays(7);

  /** Pruning runs at open and then once per this many commands that changed the file. */
  private static final int PRUNE_EVERY = 10_000;

  /** Whether a command with this id changed this file (or failed) within the retention. */
  boolean executed(String commandId) throws SQLException {
    selectExecuted.setString(1, commandId);
    try (ResultSet rs = selectExecuted.executeQuery()) {
      return rs.next();
    }
  }

  /** Forgets executed command ids older than the retention; returns how many went. */
  int pruneExecuted(long nowMillis) throws SQLException {
    try (PreparedStatement delete =
        connection.prepareStatement(
            "DELETE FROM _runtime_executed_commands WHERE executed_at < ?")) {
      delete.setLong(1, nowMillis - EXECUTED_RETENTION.toMillis());
      return delete.executeUpdate();
    }
  }

  List<OutboxRow> outbox() throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT id, outbound_json FROM _runtime_outbox ORDER BY id")) {
      List<OutboxRow> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(new OutboxRow(rs.getString(1), rs.getString(2)));
      }
      return rows;
    }
  }

  /**
   * The target acknowledged the row: it is deleted with the next commit, or by {@link
   * #deleteAcknowledged}, whichever comes first. A delete that a crash loses only means a resend,
   * which the target recognises by its id.
   */
  void acknowledgeOutbox(String id) {
    acknowledged.add(id);
  }

  /** Whether acknowledged outbox rows wait for their delete. */
  boolean hasAcknowledged() {
    return !acknowledged.isEmpty();
  }

  /**
   * Deletes the acknowledged outbox rows in a transaction of their own; while a staged one is open,
   * its commit deletes them instead.
   */
  void deleteAcknowledged() throws SQLException {
    if (acknowledged.isEmpty() || transactionOpen) {
      return;
    }
    begin.executeUpdate();
    transactionOpen = true;
    try {
      deleteAcknowledgedRows();
      commit.executeUpdate();
      transactionOpen = false;
      acknowledged.clear();
    } catch (SQLException e) {
      rollbackQuietly();
      throw e;
    }
  }

  private void deleteAcknowledgedRows() throws SQLException {
    for (String id : acknowledged) {
      deleteOutbox.setString(1, id);
      deleteOutbox.executeUpdate();
    }
  }

  /**
   * Removes the failed command {@code commandId} (autocommit), for an operator who discarded or
   * retried it; false when there is none. The row is not in the journal: a file rebuilt from the
   * journal lists the command as failed again.
   */
  boolean discardFailure(String commandId) throws SQLException {
    try (PreparedStatement s =
        connection.prepareStatement("DELETE FROM _runtime_failed_commands WHERE command_id = ?")) {
      s.setString(1, commandId);
      return s.executeUpdate() > 0;
    }
  }

  /** A BEGIN without its COMMIT or ROLLBACK yet. */
  private boolean transactionOpen;

  /**
   * Counts what may have changed the tables: each staging (before and after its events apply), each
   * rollback and each undo. Equal counts mean equal tables, so a read derived from them can be kept
   * ({@link ActorQueries}, {@link ActorTables#changes()}).
   */
  private long changes;

  /** Migrated empty files per kind, copied for new actors (see {@link #open}). */
  private static final Map<String, byte[]> TEMPLATES = new ConcurrentHashMap<>();

  static ActorDatabase open(Path file, MigrationSet migrations) {
    try {
      Files.createDirectories(file.getParent());
      if (!Files.exists(file)) {
        // A new actor starts from a copy of an already migrated empty file: creating a SQLite
        // file and running its DDL costs several fsyncs; a copy costs one write.
        byte[] template = TEMPLATES.computeIfAbsent(migrations.kind(), k -> template(migrations));
        Path partial = file.resolveSibling(file.getFileName() + ".new");
        Files.write(partial, template);
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file, e);
    }
    return openFile(file, migrations);
  }

  private static ActorDatabase openFile(Path file, MigrationSet migrations) {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout(5_000);
    config.enforceForeignKeys(true);
    Connection connection = null;
    try {
      connection = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
      Migrator.migrate(connection, migrations, RUNTIME_TABLES);
      return new ActorDatabase(file, connection, readAppliedSeqNr(connection));
    } catch (SQLException e) {
      closeQuietly(connection);
      throw new IllegalStateException(
          "cannot open actor database " + file + ": " + e.getMessage(), e);
    }
  }

  private static byte[] template(MigrationSet migrations) {
    try {
      Path dir = Files.createTempDirectory("foundry-template-");
      Path file = dir.resolve(migrations.kind() + ".db");
      try (ActorDatabase db = openFile(file, migrations)) {
        db.connection.createStatement().execute("PRAGMA wal_checkpoint(TRUNCATE)");
      }
      byte[] bytes = Files.readAllBytes(file);
      try (var paths = Files.list(dir)) {
        for (Path p : paths.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
      return bytes;
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("cannot build the empty database of " + migrations.kind(), e);
    }
  }

  Connection connection() {
    return connection;
  }

  Path file() {
    return file;
  }

  /** Changes when the tables may have changed; see {@link #changes}. */
  long changes() {
    return changes;
  }

  /** The sequence number of the last journal event applied to this file. */
  long appliedSeqNr() {
    return appliedSeqNr;
  }

  /**
   * Applies the events of the journal event at {@code seqNr} in one transaction with the new
   * sequence number, unless this file has already seen it (replay after a crash).
   */
  <E extends DurableEvent> void applyAt(
      long seqNr,
      List<? extends DurableEvent> events,
      ActorTables<E> tables,
      FailedCommand failure,
      List<OutboxRow> outbox,
      String commandId,
      long at)
      throws SQLException {
    if (seqNr <= appliedSeqNr) {
      return;
    }
    stage(seqNr, events, tables, failure, () -> outbox, commandId, at);
    commit();
  }

  /** A command for another actor waiting in the outbox, as JSON ({@link Outbound}). */
  record OutboxRow(String id, String outboundJson) {}

  /**
   * Writes the events of the journal event at {@code seqNr} in a transaction left open: the actor
   * stages before persisting to the journal (so a bad event fails its command instead of wedging
   * every future replay) and commits once the journal write succeeded. Nothing else uses the
   * connection in between: Pekko stashes the actor's messages while it persists. {@code commandId},
   * when not null, is kept in {@code _runtime_executed_commands} for the redelivery check.
   */
  <E extends DurableEvent> void stage(
      long seqNr,
      List<? extends DurableEvent> events,
      ActorTables<E> tables,
      FailedCommand failure,
      Supplier<List<OutboxRow>> outbox,
      String commandId,
      long at)
      throws SQLException {
    // A batch of commands (one journal write) stages each of them in the transaction the first
    // one opened: a savepoint per command lets one whose events cannot be applied be undone
    // without the others staged before it.
    changes++;
    boolean joined = transactionOpen;
    if (joined) {
      savepoint.executeUpdate();
    } else {
      // Explicit BEGIN/COMMIT with cached statements: sqlite-jdbc's setAutoCommit/commit pair
      // runs an extra empty transaction per call, and this runs once per command.
      begin.executeUpdate();
      transactionOpen = true;
      stagedFrom = appliedSeqNr;
    }
    try {
      for (DurableEvent event : events) {
        if (event instanceof Outbound) {
          continue; // the runtime's, written below
        }
        @SuppressWarnings("unchecked")
        E typed = (E) event;
        tables.apply(typed);
      }
      changes++; // a read made while the events applied saw them half done: it must not be kept
      // Computed after the events applied: an actor may derive commands from its updated tables.
      for (OutboxRow row : outbox.get()) {
        insertOutbox.setString(1, row.id());
        insertOutbox.setString(2, row.outboundJson());
        insertOutbox.executeUpdate();
      }
      if (failure != null) {
        try (PreparedStatement insert =
            connection.prepareStatement(
                "INSERT OR REPLACE INTO _runtime_failed_commands"
                    + " (command_id, command_type, command_json, error_code, error_message,"
                    + " failed_at) VALUES (?, ?, ?, ?, ?, ?)")) {
          insert.setString(1, failure.commandId());
          insert.setString(2, failure.commandType());
          insert.setString(3, failure.commandJson());
          insert.setString(4, failure.error().code());
          insert.setString(5, failure.error().message());
          insert.setLong(6, failure.failedAtMillis());
          insert.executeUpdate();
        }
      }
      if (commandId != null) {
        insertExecuted.setString(1, commandId);
        insertExecuted.setLong(2, at);
        insertExecuted.executeUpdate();
        if (++stagedSincePrune >= PRUNE_EVERY) {
          stagedSincePrune = 0;
          pruneExecuted(at);
        }
      }
      updateApplied.setLong(1, seqNr);
      updateApplied.executeUpdate();
      if (joined) {
        releaseSavepoint.executeUpdate();
      }
      appliedSeqNr = seqNr;
    } catch (SQLException | RuntimeException e) {
      if (joined) {
        undoToSavepoint();
      } else {
        rollbackQuietly();
        stagedFrom = -1;
      }
      throw e;
    }
  }

  /** Commits what {@link #stage} wrote; nothing to do when nothing is staged. */
  void commit() throws SQLException {
    if (!transactionOpen) {
      return;
    }
    try {
      // Deleting delivered outbox rows here saves each its own transaction (and WAL commit). A
      // delete that fails must not fail the command's commit: the rows wait for the next one.
      boolean deletes = !acknowledged.isEmpty();
      if (deletes) {
        try {
          deleteAcknowledgedRows();
        } catch (SQLException e) {
          deletes = false;
        }
      }
      commit.executeUpdate();
      transactionOpen = false;
      stagedFrom = -1;
      if (deletes) {
        acknowledged.clear();
      }
    } catch (SQLException e) {
      rollback();
      throw e;
    }
  }

  /** Undoes a staged transaction, e.g. when the journal write failed. */
  void rollback() {
    changes++;
    rollbackQuietly();
    if (stagedFrom >= 0) {
      appliedSeqNr = stagedFrom;
      stagedFrom = -1;
    }
  }

  /** Undoes one command of a batch; what the batch staged before it stays. */
  private void undoToSavepoint() {
    changes++;
    try {
      rollbackToSavepoint.executeUpdate();
      releaseSavepoint.executeUpdate();
    } catch (SQLException e) {
      // The transaction is unusable: give up the whole batch (its journal write will not happen,
      // as the staging error fails the batch's commands).
      rollback();
    }
  }

  private void rollbackQuietly() {
    try {
      if (transactionOpen) {
        transactionOpen = false;
        rollback.executeUpdate();
      }
    } catch (SQLException ignored) {
      // the connection is unusable; closing it discards the transaction anyway
    }
  }

  /** A command whose handler threw, as kept for inspection. */
  record FailedCommand(
      String commandId,
      String commandType,
      String commandJson,
      CommandError error,
      long failedAtMillis) {}

  List<FailedCommand> failedCommands() throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT command_id, command_type, command_json, error_code, error_message,"
                    + " failed_at FROM _runtime_failed_commands ORDER BY failed_at, command_id")) {
      List<FailedCommand> out = new ArrayList<>();
      while (rs.next()) {
        out.add(
            new FailedCommand(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                CommandError.failed(rs.getString(4), rs.getString(5)),
                rs.getLong(6)));
      }
      return out;
    }
  }

  /** Pages copied per step of a backup (4 MB at SQLite's default page size). */
  private static final int BACKUP_PAGES_PER_STEP = 1024;

  /**
   * Copies {@code source} (an actor file, open or not by its actor) to {@code target}, off the
   * actor's thread, and returns the journal sequence number the copy has applied. The copy is made
   * by SQLite's online backup API in steps of {@value #BACKUP_PAGES_PER_STEP} pages, file to file
   * (never whole in the heap), from a separate connection that holds one read transaction for the
   * whole copy: in WAL mode the actor keeps writing meanwhile, and the copy is the state at the
   * start of that transaction (a backup step does not restart on other connections' writes while
   * its source connection keeps its read transaction open). The copy is fsynced and then moved over
   * {@code target} atomically, so {@code target} is always a whole, durable backup.
   */
  static long backup(Path source, Path target) throws SQLException, IOException {
    if (!Files.exists(source)) {
      // Opening it would create an empty file where the actor's belongs.
      throw new java.nio.file.NoSuchFileException(source.toString());
    }
    Files.createDirectories(target.getParent());
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    Files.deleteIfExists(partial);
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(10_000);
    long applied;
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + source, config.toProperties());
        Statement s = c.createStatement()) {
      s.execute("BEGIN");
      try {
        applied = readAppliedSeqNr(c); // the read that pins the copy's snapshot
        ((org.sqlite.SQLiteConnection) c)
            .getDatabase()
            .backup("main", partial.toString(), null, 100, 100, BACKUP_PAGES_PER_STEP);
      } finally {
        s.execute("COMMIT");
      }
    }
    try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    Files.move(
        partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    forceDirectory(target.getParent());
    return applied;
  }

  /** The journal sequence number {@code file} has applied (a backup, read without writing). */
  static long appliedSeqNrOf(Path file) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties())) {
      return readAppliedSeqNr(c);
    }
  }

  /**
   * Puts a copy of {@code backup} in place of the (closed) actor file {@code file}, streamed from
   * file to file; the old file's WAL goes with it, since its frames belong to the old file.
   */
  static void replaceFromBackup(Path file, Path backup) throws IOException {
    Files.createDirectories(file.getParent());
    Path partial = file.resolveSibling(file.getFileName() + ".restore-" + System.nanoTime());
    try {
      Files.copy(backup, partial);
      try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-wal"));
      Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-shm"));
      Files.move(
          partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      forceDirectory(file.getParent());
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /** Makes a rename in {@code dir} durable (a no-op where directories cannot be opened). */
  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException ignored) {
      // not supported on this file system; the rename is as durable as it gets here
    }
  }

  /**
   * Replaces the file's content by the copy a snapshot of the previous release carried (base64 in
   * the snapshot), then migrates it if it is older.
   */
  void restore(byte[] image, MigrationSet migrations) {
    Path copy = file.resolveSibling(file.getFileName() + ".restore-" + System.nanoTime());
    try {
      Files.write(copy, image);
      try (Statement s = connection.createStatement()) {
        s.executeUpdate("restore from " + copy);
      }
      Migrator.migrate(connection, migrations, RUNTIME_TABLES);
      appliedSeqNr = readAppliedSeqNr(connection);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot restore " + file + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write snapshot image for " + file, e);
    } finally {
      try {
        Files.deleteIfExists(copy);
      } catch (IOException ignored) {
        // harmless leftover
      }
    }
  }

  private static long readAppliedSeqNr(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT seq_nr FROM _runtime_applied WHERE id = 1")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  @Override
  public void close() {
    rollback();
    try {
      deleteAcknowledged();
    } catch (SQLException ignored) {
      // the rows are sent again at the next activation, and recognised by their ids
    }
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing; nothing to do
      }
    }
  }
}
