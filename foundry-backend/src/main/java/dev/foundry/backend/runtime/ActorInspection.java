package dev.foundry.backend.runtime;

import java.util.List;
import java.util.Map;

/**
 * What an operator reads of one durable actor ({@code GET /v1/admin/actors/{kind}/{key}}): its
 * journal position, the commands accepted but not completed (its queue), the commands that failed
 * with their reasons, the commands waiting in its outbox for other actors, and its tables.
 *
 * @param seqNr the sequence number of the actor's last journal event
 * @param tables every table of the actor's SQLite file, with its first rows
 */
public record ActorInspection(
    String kind,
    String key,
    boolean created,
    long seqNr,
    List<PendingCommand> queue,
    List<FailedCommandInfo> failedCommands,
    List<OutboxEntry> outbox,
    List<Table> tables) {

  /** An accepted command still waiting for (or in) its handler. */
  public record PendingCommand(String commandId, String commandType, long acceptedAtMillis) {}

  /** A command for another actor, kept until that actor acknowledges it. */
  public record OutboxEntry(String id, String outboundJson) {}

  /**
   * @param rowCount all rows of the table; {@code rows} holds at most the inspection's row limit
   */
  public record Table(
      String name, List<String> columns, long rowCount, List<Map<String, Object>> rows) {}
}
