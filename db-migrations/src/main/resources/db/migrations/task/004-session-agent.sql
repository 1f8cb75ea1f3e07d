-- The sandbox-agent agent that runs the session (claude, codex, or mock: the offline agent),
-- learned when its sandbox session opens. Null: not opened yet; the model's agent is shown.
ALTER TABLE task_workspace_sessions ADD COLUMN agent TEXT;
