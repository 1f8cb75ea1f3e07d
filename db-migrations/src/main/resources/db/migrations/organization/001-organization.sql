-- Both roles of the organization actor (spec §4.2): a real organization writes the profile,
-- members, repositories and the task projection; the `app` instance writes the auth indexes.

CREATE TABLE organization_profile (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  kind TEXT NOT NULL,
  github_login TEXT NOT NULL,
  display_name TEXT NOT NULL,
  slug TEXT NOT NULL,
  primary_domain TEXT NOT NULL,
  auto_import_repos INTEGER NOT NULL,
  github_connected_account TEXT NOT NULL,
  github_installation_status TEXT NOT NULL,
  github_sync_status TEXT NOT NULL,
  github_last_sync_label TEXT NOT NULL,
  github_last_sync_at INTEGER,
  github_sync_generation INTEGER NOT NULL DEFAULT 0,
  billing_plan_id TEXT NOT NULL,
  billing_status TEXT NOT NULL,
  billing_seats_included INTEGER NOT NULL,
  billing_payment_method_label TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE organization_members (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  role TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- The repository catalog. repo_id = first 16 hex of SHA-1 of the normalised remote URL.
CREATE TABLE repositories (
  repo_id TEXT PRIMARY KEY,
  remote_url TEXT NOT NULL,
  label TEXT NOT NULL,
  default_branch TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Coordinator index of tasks: task id -> repo and immutable branch. actor_created = 0 for a
-- virtual task (a summary with no task actor yet).
CREATE TABLE task_index (
  task_id TEXT PRIMARY KEY,
  repo_id TEXT NOT NULL,
  branch_name TEXT,
  actor_created INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX task_index_by_branch ON task_index (repo_id, branch_name);

-- The sidebar projection, pushed up by task actors (or written for virtual tasks).
CREATE TABLE task_summaries (
  task_id TEXT PRIMARY KEY,
  repo_id TEXT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  repo_name TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  branch TEXT,
  pull_request_json TEXT,
  sessions_summary_json TEXT NOT NULL DEFAULT '[]',
  primary_user_login TEXT,
  primary_user_avatar_url TEXT
);
CREATE INDEX task_summaries_by_activity ON task_summaries (updated_at_ms DESC);
CREATE INDEX task_summaries_by_branch ON task_summaries (repo_id, branch);

-- App instance only: routing of sessions, e-mails and OAuth accounts to user actors.
CREATE TABLE auth_session_index (
  session_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  active_organization_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX auth_session_index_by_user ON auth_session_index (user_id);

CREATE TABLE auth_email_index (
  email TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE auth_account_index (
  provider_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (provider_id, account_id)
);
