-- The ids of commands this actor executed (those that changed its tables or failed), written in
-- the same transaction as their effects. A command that arrives again under the same id, as an
-- outbox message does when its sender crashed after the delivery but before deleting its row, is
-- acknowledged without running twice. Rows older than the retention are pruned.
CREATE TABLE IF NOT EXISTS _runtime_executed_commands (
  command_id TEXT PRIMARY KEY,
  executed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS _runtime_executed_commands_at
  ON _runtime_executed_commands (executed_at);
