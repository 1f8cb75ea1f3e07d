-- The outbox keyed by its id alone (WITHOUT ROWID): a row and its key live in one B-tree, so
-- writing and deleting a command for another actor changes one page where the rowid table and the
-- index of its key changed two, in the transaction of nearly every command. The table is rebuilt
-- with its rows; this runs again whenever a kind migrates (the prelude has no version of its own),
-- which rebuilds it again and keeps every row.
CREATE TABLE IF NOT EXISTS _runtime_outbox_by_id (
  id TEXT PRIMARY KEY,
  outbound_json TEXT NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO _runtime_outbox_by_id (id, outbound_json)
  SELECT id, outbound_json FROM _runtime_outbox;
DROP TABLE _runtime_outbox;
ALTER TABLE _runtime_outbox_by_id RENAME TO _runtime_outbox;
