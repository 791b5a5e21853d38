-- 0003: covering indexes for the P/L report (daily sums and the drawdown walk in exit
-- order) so a one-year report is an index-only scan with no sort.
CREATE INDEX IF NOT EXISTS trades_day_pnl_idx
    ON trades (session_date, pnl_micros, commission_micros, exit_time, run_id);
CREATE INDEX IF NOT EXISTS trades_exit_pnl_idx
    ON trades (exit_time, id, pnl_micros, run_id);
DROP INDEX IF EXISTS trades_exit_idx;
