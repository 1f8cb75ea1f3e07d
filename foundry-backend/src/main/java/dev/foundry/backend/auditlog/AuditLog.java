package dev.foundry.backend.auditlog;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorSetup;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableActor;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableEvent;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.Handlers;
import dev.foundry.shared.contracts.AuditLogEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An organization's audit log: key {@code ["org", orgId, "audit-log"]}. Appends are queued commands
 * (durable once acknowledged); reads are queries, newest first, paged with {@code before}.
 */
public final class AuditLog
    extends DurableActor<AuditLog.Command<?>, AuditLog.Event, AuditLogTables> {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 500;

  // 1. Kind and key ---------------------------------------------------------------------------

  public static final ActorKind<Command<?>, Event, AuditLogTables> KIND =
      ActorKind.define("audit-log", Command.class, Event.class, AuditLogTables::new, AuditLog::new);

  public static ActorKey key(String organizationId) {
    return ActorKey.of("org", organizationId, "audit-log");
  }

  /**
   * Appends {@code entry} to the organization's log without waiting for it: the caller is never
   * affected by an audit failure, which is logged here instead.
   */
  public static CompletionStage<String> record(
      DurableRuntime runtime, String organizationId, Append entry) {
    CompletionStage<String> sent = runtime.getOrCreate(KIND, key(organizationId)).tell(entry);
    sent.whenComplete(
        (id, failure) -> {
          if (failure != null) {
            log.warn(
                "audit entry {} of organization {} not recorded: {}",
                entry.kind(),
                organizationId,
                failure.toString());
          }
        });
    return sent;
  }

  // 2. Commands -------------------------------------------------------------------------------

  public sealed interface Command<R> extends DurableCommand<R> {}

  /**
   * Adds an entry; answers its id. {@code dedupeKey} (optional) makes a re-sent append a no-op that
   * answers the first entry's id.
   */
  @JsonTypeName("audit-log.append")
  public record Append(
      String kind,
      String repoId,
      String taskId,
      String branchName,
      Map<String, Object> payload,
      String dedupeKey)
      implements Command<Long> {
    public Append {
      payload = payload == null ? Map.of() : Map.copyOf(payload);
    }
  }

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

  // 4. Queries --------------------------------------------------------------------------------

  /**
   * Entries newest first, AND-filtered by the non-null fields; {@code before} (an entry id) pages
   * to older entries; {@code limit} 1..500, default 100.
   */
  public record ListEntries(
      String repoId, String taskId, String branchName, String kind, Integer limit, Long before)
      implements ActorQuery<List<AuditLogEvent>> {
    public static ListEntries newest(int limit) {
      return new ListEntries(null, null, null, null, limit, null);
    }

    public static ListEntries ofTask(String taskId) {
      return new ListEntries(null, taskId, null, null, null, null);
    }
  }

  // 5. Handlers -------------------------------------------------------------------------------

  private AuditLog(ActorSetup<AuditLogTables> setup) {
    super(setup);
  }

  private String organizationId() {
    return key().segments().get(1);
  }

  @Override
  protected void handlers(Handlers<Command<?>, AuditLogTables> on) {
    on.command(Append.class, this::append).query(ListEntries.class, this::list);
  }

  private Decision append(Append cmd, AuditLogTables tables) {
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
    return Decision.persist(
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
