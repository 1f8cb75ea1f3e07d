-- One task = one branch of one repository (spec §5.2). Per-user state lives on the user actor.
CREATE TABLE task (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  repo_remote TEXT NOT NULL,
  repo_name TEXT NOT NULL,
  branch_name TEXT,
  title TEXT,
  task TEXT NOT NULL,
  sandbox_provider_id TEXT NOT NULL,
  status TEXT NOT NULL,
  pull_request_json TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE task_runtime (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  active_sandbox_id TEXT,
  active_switch_target TEXT,
  active_cwd TEXT,
  updated_at INTEGER NOT NULL
);

CREATE TABLE task_sandboxes (
  sandbox_id TEXT PRIMARY KEY,
  sandbox_provider_id TEXT NOT NULL,
  switch_target TEXT NOT NULL,
  cwd TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Sessions' metadata; `closed` is a soft delete, thinking_since_ms is set while the agent works.
CREATE TABLE task_workspace_sessions (
  session_id TEXT PRIMARY KEY,
  ordinal INTEGER NOT NULL,
  sandbox_session_id TEXT,
  session_name TEXT NOT NULL,
  model TEXT NOT NULL,
  status TEXT NOT NULL,
  error_message TEXT,
  transcript_json TEXT NOT NULL DEFAULT '[]',
  created INTEGER NOT NULL DEFAULT 0,
  closed INTEGER NOT NULL DEFAULT 0,
  thinking_since_ms INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- The primary user, whose credentials the sandbox uses.
CREATE TABLE task_owner (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  primary_user_id TEXT,
  primary_github_login TEXT,
  primary_github_email TEXT,
  primary_github_avatar_url TEXT,
  updated_at INTEGER NOT NULL
);
