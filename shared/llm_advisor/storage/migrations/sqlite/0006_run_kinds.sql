-- 0006: runs are first-class. Every run gets a kind (live, paper, local, replay, sweep) and
-- a label, so the API can list runs and never mix a replay into the account's figures.
-- SQLite cannot alter the CHECK on runs.mode, so kind is a new column next to it and mode
-- keeps its old meaning (replay / live / demo).
ALTER TABLE runs ADD COLUMN kind text NOT NULL DEFAULT 'replay'
    CHECK (kind IN ('live', 'paper', 'local', 'replay', 'sweep'));
ALTER TABLE runs ADD COLUMN label text NOT NULL DEFAULT '';
UPDATE runs SET kind = CASE mode WHEN 'live' THEN 'live' WHEN 'demo' THEN 'local' ELSE 'replay' END;
UPDATE runs SET label = run_id WHERE label = '';
CREATE INDEX IF NOT EXISTS runs_kind_created_idx ON runs (kind, created_at);

-- The account's records written before runs were first-class carry run_id 'live' but have
-- no runs row: give them one (paper, the default account; the live Lambdas correct the kind
-- from ADVISOR_ALPACA_PAPER on their next cold start).
INSERT INTO runs (run_id, mode, kind, label)
SELECT 'live', 'live', 'paper', 'account'
WHERE EXISTS (SELECT 1 FROM trades WHERE run_id = 'live')
   OR EXISTS (SELECT 1 FROM trade_signals WHERE run_id = 'live')
   OR EXISTS (SELECT 1 FROM equity_snapshots WHERE run_id = 'live')
   OR EXISTS (SELECT 1 FROM positions WHERE run_id = 'live')
ON CONFLICT (run_id) DO NOTHING;

-- Market analyses belong to the run that made them (the live account or a local day).
ALTER TABLE market_analysis ADD COLUMN run_id text NOT NULL DEFAULT 'live';
CREATE INDEX IF NOT EXISTS market_analysis_run_ts_idx ON market_analysis (run_id, timestamp);
