-- The repository id of the task the sandbox belongs to: with the key's organization and task id it
-- names the task actor the sandbox reports session status and git state to.
ALTER TABLE sandbox ADD COLUMN repo_id TEXT;
