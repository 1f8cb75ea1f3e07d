-- Whose agent keys the sandbox's server was started with: a new owner restarts it with theirs.
ALTER TABLE sandbox ADD COLUMN agent_keys_owner TEXT;
