package dev.foundry.backend.auditlog;

import static dev.foundry.backend.protocol.AuditLogProtocol.DEFAULT_LIMIT;
import static dev.foundry.backend.protocol.AuditLogProtocol.MAX_LIMIT;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.AuditLogProtocol.Append;
import dev.foundry.backend.protocol.AuditLogProtocol.AuditLogAddress;
import dev.foundry.backend.protocol.AuditLogProtocol.Command;
import dev.foundry.backend.protocol.AuditLogProtocol.ListEntries;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.shared.contracts.AuditLogEvent;
import java.util.List;

/**
 * An organization's audit log: key {@code ["org", orgId, "audit-log"]}. Appends are queued commands
 * (durable once acknowledged); reads are queries, newest first, paged with {@code before}.
 */
public final class AuditLog
    extends DurableActor<AuditLogProtocol.Command<?>, AuditLog.Event, AuditLogTables> {
  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, AuditLogTables> KIND =
      ActorKind.bind(AuditLogProtocol.TYPE, Event.class, AuditLogTables::new, AuditLog::new);

  // 3. Events ---------------------------------------------------------------------------------

  public sealed interface Event extends DurableEvent {}

  @JsonTypeName("audit-log.entry-appended")
  public record EntryAppended(
      long id,
      String kind,
      String repoId,
      String taskId,
      String branchName,
      String payloadJson,
      long createdAt,
      String dedupeKey)
      implements Event {}

  // 5. Handlers -------------------------------------------------------------------------------

  private AuditLog(ActorSetup<AuditLogTables> setup) {
    super(setup);
  }

  private String organizationId() {
    return AuditLogAddress.of(key()).organizationId();
  }

  @Override
  protected void handlers(Handlers<Command<?>, AuditLogTables> on) {
    on.batchedCommand(Append.class, this::append).query(ListEntries.class, this::list);
  }

  private Decision<Long> append(Append cmd, AuditLogTables tables) {
    if (cmd.kind() == null || cmd.kind().isBlank()) {
      return Decision.reject("invalid_kind", "an audit entry needs a kind");
    }
    if (cmd.dedupeKey() != null) {
      Long existing = tables.idOfDedupeKey(cmd.dedupeKey());
      if (existing != null) {
        return Decision.reply(existing);
      }
    }
    long id = tables.nextId();
    return Decision.<Long>persist(
            new EntryAppended(
                id,
                cmd.kind(),
                cmd.repoId(),
                cmd.taskId(),
                cmd.branchName(),
                AuditLogTables.toJson(cmd.payload()),
                System.currentTimeMillis(),
                cmd.dedupeKey()))
        .thenReply(() -> id);
  }

  private List<AuditLogEvent> list(ListEntries q, AuditLogTables tables) {
    int limit = q.limit() == null ? DEFAULT_LIMIT : q.limit();
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new CommandRejectedException(
          null, "invalid_limit", "limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
    return tables.list(organizationId(), q, limit);
  }
}
