package dev.foundry.backend.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.sqlite.JDBC;
import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteUpdateListener;

/**
 * sqlite-jdbc with SQLite's commit and update hooks attached to every connection it opens: counts
 * the write transactions that commit and the rows they insert into {@code event_journal}. Use it as
 * the pool's {@code driver} to observe what the journal plugin really does to the file.
 *
 * <p>The counters are global (one measurement at a time per JVM): {@link #reset()} before one.
 */
public final class CommitCountingSqliteDriver extends JDBC {
  private static final LongAdder COMMITS = new LongAdder();
  private static final LongAdder JOURNAL_COMMITS = new LongAdder();
  private static final LongAdder JOURNAL_ROWS = new LongAdder();
  private static final AtomicLong LARGEST_JOURNAL_COMMIT = new AtomicLong();

  /** Counters at one moment. */
  public record Counts(
      long commits, long journalCommits, long journalRows, long largestJournalCommit) {
    /** Journal rows per transaction that inserted journal rows. */
    public double rowsPerJournalCommit() {
      return journalCommits == 0 ? 0 : (double) journalRows / journalCommits;
    }
  }

  public static void reset() {
    COMMITS.reset();
    JOURNAL_COMMITS.reset();
    JOURNAL_ROWS.reset();
    LARGEST_JOURNAL_COMMIT.set(0);
  }

  public static Counts counts() {
    return new Counts(
        COMMITS.sum(), JOURNAL_COMMITS.sum(), JOURNAL_ROWS.sum(), LARGEST_JOURNAL_COMMIT.get());
  }

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    Connection connection = super.connect(url, info);
    if (connection instanceof SQLiteConnection sqlite) {
      Hooks hooks = new Hooks();
      sqlite.addUpdateListener(hooks);
      sqlite.addCommitListener(hooks);
    }
    return connection;
  }

  /** Per connection: SQLite calls both hooks on the thread that runs the statement. */
  private static final class Hooks implements SQLiteUpdateListener, SQLiteCommitListener {
    private long journalInserts;

    @Override
    public void onUpdate(Type type, String database, String table, long rowId) {
      if (type == Type.INSERT && "event_journal".equals(table)) {
        journalInserts++;
      }
    }

    @Override
    public void onCommit() {
      COMMITS.increment();
      if (journalInserts > 0) {
        JOURNAL_COMMITS.increment();
        JOURNAL_ROWS.add(journalInserts);
        LARGEST_JOURNAL_COMMIT.accumulateAndGet(journalInserts, Math::max);
      }
      journalInserts = 0;
    }

    @Override
    public void onRollback() {
      journalInserts = 0;
    }
  }
}
