-- The model the task was created with (API: POST .../tasks {"model"}): its first session's model.
-- Null: the owner's default model.
ALTER TABLE task ADD COLUMN model TEXT;
