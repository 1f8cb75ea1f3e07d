-- GitHub webhooks and sync progress (spec §2.1, §7.4, §11.3-§11.4). A real organization keeps
-- the last delivery it saw and the phase of the running GitHub sync; the `app` instance keeps the
-- ids of the deliveries it already took (deduplication of X-GitHub-Delivery).

ALTER TABLE organization_profile ADD COLUMN github_last_webhook_at INTEGER;
ALTER TABLE organization_profile ADD COLUMN github_last_webhook_event TEXT;
ALTER TABLE organization_profile ADD COLUMN github_sync_phase TEXT;
ALTER TABLE organization_profile ADD COLUMN github_processed_repository_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organization_profile ADD COLUMN github_total_repository_count INTEGER NOT NULL DEFAULT 0;
-- The github-data actor's progress number of the last progress applied (older ones are ignored).
ALTER TABLE organization_profile ADD COLUMN github_progress_seq INTEGER NOT NULL DEFAULT 0;

-- App instance only: every GitHub delivery taken, by its X-GitHub-Delivery id.
CREATE TABLE github_webhook_deliveries (
  delivery_id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  action TEXT,
  organization_id TEXT,
  received_at INTEGER NOT NULL
);
