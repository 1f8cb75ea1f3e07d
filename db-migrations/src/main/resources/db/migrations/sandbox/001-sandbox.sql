-- One task's sandbox (spec §8): where it runs, what is cloned into it, whose git credentials it
-- holds, its agent sessions and their transcripts, the processes started in it and its git state.
-- Live handles (server connections, agent sessions) are never stored: they are rebuilt after a
-- restart from what these tables say.
CREATE TABLE sandbox (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  provider_id TEXT NOT NULL,
  sandbox_id TEXT NOT NULL,
  base_url TEXT,
  home_dir TEXT,
  work_dir TEXT,
  -- running | destroyed
  state TEXT NOT NULL,
  provisioned_at INTEGER NOT NULL,
  reattached_at INTEGER,
  destroyed_at INTEGER
);

CREATE TABLE repository (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  remote_url TEXT NOT NULL,
  branch TEXT,
  head_commit TEXT,
  dir TEXT NOT NULL,
  cloned_at INTEGER NOT NULL,
  pushed_branch TEXT,
  pushed_commit TEXT,
  pushed_at INTEGER
);

-- The owner whose credentials are in the sandbox's credential store; never the secret itself.
CREATE TABLE git_owner (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  owner_user_id TEXT NOT NULL,
  login TEXT,
  email TEXT,
  hosts_json TEXT NOT NULL,
  stored_at INTEGER NOT NULL
);

CREATE TABLE sessions (
  session_id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  model TEXT,
  cwd TEXT NOT NULL,
  -- idle | running | error | closed
  status TEXT NOT NULL,
  turn_id TEXT,
  error_message TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE transcript (
  session_id TEXT NOT NULL,
  event_index INTEGER NOT NULL,
  turn_id TEXT,
  -- client | agent | system
  sender TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, event_index)
);

CREATE TABLE git_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  branch TEXT,
  ahead INTEGER NOT NULL,
  behind INTEGER NOT NULL,
  files_json TEXT NOT NULL,
  refreshed_at INTEGER NOT NULL
);

CREATE TABLE processes (
  process_id TEXT PRIMARY KEY,
  command TEXT NOT NULL,
  args_json TEXT NOT NULL,
  cwd TEXT,
  started_at INTEGER NOT NULL,
  stopped_at INTEGER
);
