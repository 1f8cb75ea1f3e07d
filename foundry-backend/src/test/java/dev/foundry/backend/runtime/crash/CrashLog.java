package dev.foundry.backend.runtime.crash;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.ActorTables;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.Handlers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only log: every applied command leaves one row, so duplicates and gaps are visible.
 * {@link Append} is written one command at a time, {@link AppendBatched} through a batch handler
 * (several that queue up in one journal write); both append the same way.
 */
public final class CrashLog
    extends DurableActor<CrashLog.Command, CrashLog.Appended, CrashLog.Tables> {

  public static final ActorKind<Command, Appended, Tables> KIND =
      ActorKind.define("crash-log", Command.class, Appended.class, Tables::new, CrashLog::new);

  public sealed interface Command extends DurableCommand<Long> {}

  @JsonTypeName("crash.append")
  public record Append(long seq) implements Command {}

  /** Appends like {@link Append}; a negative seq cannot be applied (a bad event in a batch). */
  @JsonTypeName("crash.append-batched")
  public record AppendBatched(long seq) implements Command {}

  @JsonTypeName("crash.appended")
  public record Appended(long seq) implements DurableEvent {}

  public record ReadLog() implements ActorQuery<List<Long>> {}

  private CrashLog(ActorSetup<Tables> setup) {
    super(setup);
  }

  @Override
  protected void handlers(Handlers<Command, Tables> on) {
    on.command(
            Append.class,
            (cmd, t) -> Decision.<Long>persist(new Appended(cmd.seq())).thenReply(cmd::seq))
        .batch(
            AppendBatched.class,
            (cmds, t) ->
                cmds.stream()
                    .map(cmd -> Decision.<Long>persist(new Appended(cmd.seq())).thenReply(cmd::seq))
                    .toList())
        .query(ReadLog.class, (q, t) -> t.read());
  }

  /** The log table. */
  public static final class Tables extends ActorTables<Appended> {
    Tables(Connection db) {
      super(db);
    }

    @Override
    protected void apply(Appended event) throws SQLException {
      if (event.seq() < 0) {
        throw new SQLException("a negative seq cannot be logged: " + event.seq());
      }
      try (PreparedStatement s = db.prepareStatement("INSERT INTO log (seq) VALUES (?)")) {
        s.setLong(1, event.seq());
        s.executeUpdate();
      }
    }

    List<Long> read() {
      try (PreparedStatement s = db.prepareStatement("SELECT seq FROM log ORDER BY pos");
          ResultSet rs = s.executeQuery()) {
        List<Long> out = new ArrayList<>();
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
        return out;
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
