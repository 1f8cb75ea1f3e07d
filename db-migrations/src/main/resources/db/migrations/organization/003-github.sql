-- The GitHub App's installation on this organization's account (personal or organization), as the
-- last membership sync saw it: null installation_id while the app is not installed there.
CREATE TABLE organization_github_installation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  installation_id INTEGER,
  account_type TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
