-- Actors that have accepted commands not yet completed. Written before the first such command is
-- persisted, deleted when the queue empties; at start the runtime activates every actor listed
-- here so accepted work resumes without waiting for someone to address the actor again. A stale
-- row only causes a harmless activation.
CREATE TABLE pending_work (
  persistence_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  key_json TEXT NOT NULL,
  since INTEGER NOT NULL
);
