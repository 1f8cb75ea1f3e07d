-- One organization's audit feed (upstream `events`, spec §9.1), newest first by id.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  repo_id TEXT,
  task_id TEXT,
  branch_name TEXT,
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The sender's idempotency key: a re-sent append (at-least-once delivery) adds no second row.
  dedupe_key TEXT UNIQUE
);
CREATE INDEX events_by_task ON events (task_id, id);
CREATE INDEX events_by_kind ON events (kind, id);
