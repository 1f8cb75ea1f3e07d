-- The github-data actor (spec §7): one organization's cache of GitHub. Repositories, members and
-- pull requests carry the generation of the sync that last saw them; a finished sync sweeps rows
-- of older generations (what GitHub no longer has).

CREATE TABLE github_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  connected_account TEXT NOT NULL,
  installation_status TEXT NOT NULL,
  sync_status TEXT NOT NULL,
  installation_id INTEGER,
  github_login TEXT,
  kind TEXT,
  last_sync_label TEXT NOT NULL,
  last_sync_at INTEGER,
  updated_at INTEGER NOT NULL,
  sync_generation INTEGER NOT NULL DEFAULT 0,
  sync_phase TEXT,
  sync_started_at INTEGER,
  processed_repository_count INTEGER NOT NULL DEFAULT 0,
  total_repository_count INTEGER NOT NULL DEFAULT 0,
  progress_seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE github_repositories (
  repo_id TEXT PRIMARY KEY,
  full_name TEXT NOT NULL,
  clone_url TEXT NOT NULL,
  private INTEGER NOT NULL,
  default_branch TEXT NOT NULL DEFAULT 'main',
  sync_generation INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);

CREATE TABLE github_members (
  member_id TEXT PRIMARY KEY,
  login TEXT NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT,
  role TEXT,
  state TEXT NOT NULL,
  sync_generation INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);

-- pr_id = "<repoId>#<number>"; state OPEN, DRAFT, CLOSED or MERGED.
CREATE TABLE github_pull_requests (
  pr_id TEXT PRIMARY KEY,
  repo_id TEXT NOT NULL,
  repo_full_name TEXT NOT NULL,
  number INTEGER NOT NULL,
  title TEXT NOT NULL,
  body TEXT,
  state TEXT NOT NULL,
  url TEXT NOT NULL,
  head_ref_name TEXT NOT NULL,
  base_ref_name TEXT NOT NULL,
  author_login TEXT,
  is_draft INTEGER NOT NULL,
  sync_generation INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX github_pull_requests_by_repo ON github_pull_requests (repo_id);
