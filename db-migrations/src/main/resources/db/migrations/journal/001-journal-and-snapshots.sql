-- The tables pekko-persistence-jdbc 1.1.x reads and writes with its default (non-legacy) DAOs
-- (DefaultJournalDao, DefaultSnapshotDao). Column names are the plugin's defaults
-- (jdbc-journal.tables.*.columnNames); they must match exactly.
--
-- Differences from the plugin's H2/PostgreSQL schemas, forced by SQLite:
-- * ordering is the rowid (INTEGER PRIMARY KEY AUTOINCREMENT): SQLite auto-increments only the
--   rowid. AUTOINCREMENT never reuses the number of a deleted row, so ordering only grows (the
--   read journal's offsets rely on it). Slick omits the O.AutoInc column from its INSERTs, and for
--   tagged events reads the generated key back row by row (SQLiteProfile lacks
--   returnMultipleInsertKey).
-- * (persistence_id, sequence_number), the primary key elsewhere, is a UNIQUE index here: a second
--   write of the same sequence number fails exactly as it does on PostgreSQL.
-- * deleted is an INTEGER 0/1 (Slick's SQLiteProfile writes booleans as 0/1).
CREATE TABLE event_journal (
  ordering INTEGER PRIMARY KEY AUTOINCREMENT,
  persistence_id TEXT NOT NULL,
  sequence_number INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,

  writer TEXT NOT NULL,
  write_timestamp INTEGER NOT NULL,
  adapter_manifest TEXT NOT NULL,

  event_ser_id INTEGER NOT NULL,
  event_ser_manifest TEXT NOT NULL,
  event_payload BLOB NOT NULL,

  meta_ser_id INTEGER,
  meta_ser_manifest TEXT,
  meta_payload BLOB
);

CREATE UNIQUE INDEX event_journal_persistence_id_sequence_number_idx
  ON event_journal (persistence_id, sequence_number);

-- Written only for tagged events (we tag none today; the plugin supports it).
CREATE TABLE event_tag (
  event_id INTEGER NOT NULL REFERENCES event_journal (ordering) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (event_id, tag)
) WITHOUT ROWID;

CREATE INDEX event_tag_tag_idx ON event_tag (tag, event_id);

CREATE TABLE snapshot (
  persistence_id TEXT NOT NULL,
  sequence_number INTEGER NOT NULL,
  created INTEGER NOT NULL,

  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest TEXT NOT NULL,
  snapshot_payload BLOB NOT NULL,

  meta_ser_id INTEGER,
  meta_ser_manifest TEXT,
  meta_payload BLOB,

  PRIMARY KEY (persistence_id, sequence_number)
);
