package dev.foundry.backend.protocol;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorQuery;
import dev.foundry.backend.runtime.ActorType;
import dev.foundry.backend.runtime.DurableCommand;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.contracts.AuditLogEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How other actors and the HTTP layer talk to an organization's audit log. */
public final class AuditLogProtocol {
  private static final Logger log = LoggerFactory.getLogger(AuditLogProtocol.class);

  private AuditLogProtocol() {}

  /** The persisted name {@code "audit-log"} and the command root: how callers address the log. */
  public static final ActorType<Command<?>> TYPE = ActorType.of("audit-log", Command.class);

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 500;

  /** One organization's log. */
  public record AuditLogAddress(String organizationId) {
    public ActorKey key() {
      return ActorKey.of("org", organizationId, "audit-log");
    }

    public static AuditLogAddress of(ActorKey key) {
      return new AuditLogAddress(key.segments().get(1));
    }
  }

  public static ActorKey key(String organizationId) {
    return new AuditLogAddress(organizationId).key();
  }

  /**
   * Appends {@code entry} to the organization's log without waiting for it: the caller is never
   * affected by an audit failure, which is logged here instead.
   */
  public static CompletionStage<String> record(
      DurableRuntime runtime, String organizationId, Append entry) {
    CompletionStage<String> sent = runtime.getOrCreate(TYPE, key(organizationId)).tell(entry);
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
}
