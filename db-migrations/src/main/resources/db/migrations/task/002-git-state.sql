-- The task's derived git state as its sandbox last reported it (after each turn, revert, push,
-- sync or merge): what the task page shows as changed files.
CREATE TABLE task_git_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  branch TEXT,
  ahead INTEGER NOT NULL,
  behind INTEGER NOT NULL,
  file_changes_json TEXT NOT NULL,
  refreshed_at INTEGER NOT NULL
);
