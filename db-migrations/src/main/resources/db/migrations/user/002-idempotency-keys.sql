-- The user's Idempotency-Keys of creating requests (docs/api.md): one row per key, kept 24 h.
-- request_hash is SHA-256 of method, path and body; run_id names the server run that holds a key in
-- flight (status NULL); a completed key keeps the answer's status and JSON body for retries.
CREATE TABLE user_idempotency_keys (
  idempotency_key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  run_id TEXT NOT NULL,
  status INTEGER,
  body TEXT,
  created_at INTEGER NOT NULL,
  claimed_at INTEGER NOT NULL
);
CREATE INDEX user_idempotency_keys_created ON user_idempotency_keys (created_at);
