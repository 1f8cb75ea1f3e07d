-- One user's Foundry state (spec §6.1): profile, per-task UI state, agent credentials, inbox.
CREATE TABLE user_profile (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  image TEXT,
  github_account_id TEXT,
  github_login TEXT,
  role_label TEXT NOT NULL,
  default_model TEXT NOT NULL,
  eligible_organization_ids_json TEXT NOT NULL,
  starter_repo_status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Per (task, workspace session): unread flag and draft. active_session_id is the same on every
-- row of a task (the user's selected session there).
CREATE TABLE user_task_state (
  task_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  active_session_id TEXT,
  unread INTEGER NOT NULL DEFAULT 0,
  draft_text TEXT NOT NULL DEFAULT '',
  draft_attachments_json TEXT NOT NULL DEFAULT '[]',
  draft_updated_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (task_id, session_id)
);

-- Agent CLI credentials, AES-GCM sealed by the caller; this file never holds them in clear.
CREATE TABLE user_provider_credentials (
  provider TEXT PRIMARY KEY,
  nonce TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  file_path TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- The inbox upstream designed: tasks ordered by their latest bump, and notifications.
CREATE TABLE user_task_feed (
  task_id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  repo_id TEXT,
  title TEXT NOT NULL,
  reason TEXT NOT NULL,
  bumped_at INTEGER NOT NULL,
  unread INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX user_task_feed_by_bump ON user_task_feed (bumped_at DESC);

CREATE TABLE user_notifications (
  id INTEGER PRIMARY KEY,
  organization_id TEXT NOT NULL,
  task_id TEXT,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  read_at INTEGER
);
