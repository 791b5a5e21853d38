-- 0010: a parameter sweep is one run (kind 'sweep') with one child run per trial. The
-- child carries its parent's run_id, so "every trial of sweep X" is one indexed query and
-- deleting a sweep can find its trials. NULL for every other run.
ALTER TABLE runs ADD COLUMN parent_run_id text;
CREATE INDEX IF NOT EXISTS runs_parent_idx ON runs (parent_run_id);
