-- Cluster mode: actors that have accepted commands not yet completed, shared by every node (one
-- node's list is a local file otherwise). Written before the first such command is persisted,
-- deleted when the queue empties; a node wakes every actor listed here when it starts and when a
-- member leaves, so accepted work of a node that died resumes on the others. A stale row only
-- causes a harmless activation.
CREATE TABLE pending_work (
  persistence_id VARCHAR(255) PRIMARY KEY,
  kind VARCHAR(255) NOT NULL,
  key_json TEXT NOT NULL,
  since BIGINT NOT NULL
);
