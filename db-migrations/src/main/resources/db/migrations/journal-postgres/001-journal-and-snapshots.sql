-- The journal and snapshot store on PostgreSQL: the tables pekko-persistence-jdbc 1.1.x reads and
-- writes with its default (non-legacy) DAOs and slick.jdbc.PostgresProfile. Column names are the
-- plugin's defaults (jdbc-journal.tables.*.columnNames) and must match exactly; the layout follows
-- the plugin's documented PostgreSQL schema. Applied by PostgresJournal.prepare (foundry-backend)
-- under an advisory lock, its version kept in foundry_schema_version.

-- ordering is a bigserial: it only grows, which the read journal's offsets rely on. Slick leaves
-- the AutoInc column out of its INSERTs and reads it back with RETURNING for tagged events.
CREATE TABLE event_journal (
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT FALSE,

  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),

  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,

  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,

  -- A second write of a sequence number fails: two writers of one actor cannot both succeed.
  PRIMARY KEY (persistence_id, sequence_number)
);

-- The read journal pages by ordering; event_tag references it.
CREATE UNIQUE INDEX event_journal_ordering_idx ON event_journal (ordering);

-- Written only for tagged events (we tag none today; the plugin supports it).
CREATE TABLE event_tag (
  event_id BIGINT NOT NULL REFERENCES event_journal (ordering) ON DELETE CASCADE,
  tag VARCHAR(256) NOT NULL,
  PRIMARY KEY (event_id, tag)
);

CREATE TABLE snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,

  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,

  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,

  PRIMARY KEY (persistence_id, sequence_number)
);
