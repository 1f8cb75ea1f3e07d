-- Whole-file backups of actor SQLite files, in the shared store beside the journal, so that a node
-- without an actor's file rebuilds it from its latest backup plus the journal after it. One backup
-- per actor (the newest replaces the previous one in one transaction); its bytes are split into
-- chunks so that neither writing nor reading a large file holds it whole in memory.
CREATE TABLE actor_backup (
  persistence_id VARCHAR(255) PRIMARY KEY,
  -- The journal sequence number the backed-up file has applied (its _runtime_applied).
  seq_nr BIGINT NOT NULL,
  size_bytes BIGINT NOT NULL,
  chunks INTEGER NOT NULL,
  -- SHA-256 of the whole file, checked when it is read back.
  sha256 BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE actor_backup_chunk (
  persistence_id VARCHAR(255) NOT NULL,
  seq_nr BIGINT NOT NULL,
  chunk_no INTEGER NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (persistence_id, seq_nr, chunk_no)
);
