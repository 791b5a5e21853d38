-- 0004: per-day P/L rollup so a P/L report reads one row per day instead of every trade
-- (storage/pnl_rollup.py explains the columns and how days chain into the drawdown).
-- daily_pnl is per run, daily_pnl_all spans every run (the unscoped portfolio report).
-- The repository refreshes the touched days with every trade write; the two INSERTs below
-- are pnl_rollup.refresh_sql(engine, per_run, '1 = 1') and backfill existing trades.
CREATE TABLE IF NOT EXISTS daily_pnl (
    run_id        text NOT NULL,
    session_date  date NOT NULL,
    realized      numeric NOT NULL,
    fees          numeric NOT NULL CHECK (fees >= 0),
    trades        integer NOT NULL CHECK (trades > 0),
    wins          integer NOT NULL CHECK (wins >= 0 AND wins <= trades),
    last_exit     timestamptz NOT NULL,
    max_cum       numeric NOT NULL CHECK (max_cum >= 0),
    min_cum       numeric NOT NULL CHECK (min_cum <= 0),
    max_dd        numeric NOT NULL CHECK (max_dd >= 0),
    PRIMARY KEY (run_id, session_date)
);
CREATE TABLE IF NOT EXISTS daily_pnl_all (
    session_date  date NOT NULL,
    realized      numeric NOT NULL,
    fees          numeric NOT NULL CHECK (fees >= 0),
    trades        integer NOT NULL CHECK (trades > 0),
    wins          integer NOT NULL CHECK (wins >= 0 AND wins <= trades),
    last_exit     timestamptz NOT NULL,
    max_cum       numeric NOT NULL CHECK (max_cum >= 0),
    min_cum       numeric NOT NULL CHECK (min_cum <= 0),
    max_dd        numeric NOT NULL CHECK (max_dd >= 0),
    PRIMARY KEY (session_date)
);
INSERT INTO daily_pnl (run_id, session_date, realized, fees, trades, wins, last_exit, max_cum, min_cum, max_dd) SELECT run_id, session_date, SUM(p), SUM(f), COUNT(*), SUM(CASE WHEN p > 0 THEN 1 ELSE 0 END), MAX(exit_time), MAX(GREATEST(cum, 0)), MIN(LEAST(cum, 0)), MAX(GREATEST(peak, 0) - cum) FROM (SELECT run_id, session_date, p, f, exit_time, cum, MAX(cum) OVER (PARTITION BY run_id, session_date ORDER BY exit_time, id ROWS UNBOUNDED PRECEDING) AS peak FROM (SELECT run_id, session_date, id, exit_time, pnl AS p, commission AS f, SUM(pnl) OVER (PARTITION BY run_id, session_date ORDER BY exit_time, id ROWS UNBOUNDED PRECEDING) AS cum FROM trades WHERE 1 = 1) AS a) AS b GROUP BY run_id, session_date;
INSERT INTO daily_pnl_all (session_date, realized, fees, trades, wins, last_exit, max_cum, min_cum, max_dd) SELECT session_date, SUM(p), SUM(f), COUNT(*), SUM(CASE WHEN p > 0 THEN 1 ELSE 0 END), MAX(exit_time), MAX(GREATEST(cum, 0)), MIN(LEAST(cum, 0)), MAX(GREATEST(peak, 0) - cum) FROM (SELECT session_date, p, f, exit_time, cum, MAX(cum) OVER (PARTITION BY session_date ORDER BY exit_time, id ROWS UNBOUNDED PRECEDING) AS peak FROM (SELECT session_date, id, exit_time, pnl AS p, commission AS f, SUM(pnl) OVER (PARTITION BY session_date ORDER BY exit_time, id ROWS UNBOUNDED PRECEDING) AS cum FROM trades WHERE 1 = 1) AS a) AS b GROUP BY session_date;
