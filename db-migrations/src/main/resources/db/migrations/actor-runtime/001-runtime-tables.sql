-- Tables every actor's SQLite file has, owned by the durable runtime. Idempotent: this set runs
-- before the kind's own migrations whenever those migrate.

-- The journal sequence number of the last event applied to this file. Re-applying an event at or
-- below it is a no-op, which makes replay after a crash exactly-once for the actor's tables.
CREATE TABLE IF NOT EXISTS _runtime_applied (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq_nr INTEGER NOT NULL
);
INSERT OR IGNORE INTO _runtime_applied (id, seq_nr) VALUES (1, 0);

-- Commands whose handler threw: kept with their reason for inspection; the queue moved on.
CREATE TABLE IF NOT EXISTS _runtime_failed_commands (
  command_id TEXT PRIMARY KEY,
  command_type TEXT NOT NULL,
  command_json TEXT NOT NULL,
  error_code TEXT NOT NULL,
  error_message TEXT NOT NULL,
  failed_at INTEGER NOT NULL
);

-- The transactional outbox: commands for other actors decided with this actor's events
-- (Decision.andTell), kept until the target acknowledges them.
CREATE TABLE IF NOT EXISTS _runtime_outbox (
  id TEXT PRIMARY KEY,
  outbound_json TEXT NOT NULL
);
