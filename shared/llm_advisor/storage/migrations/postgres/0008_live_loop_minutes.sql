-- 0008: the per-minute log (storage/minute_log.py). live_loop_logs keeps the transitions;
-- this table holds one row per symbol and processed minute of the live tick: the close, the
-- features (z, mu, sigma, 5-minute ATR), the state after the minute (code 0..6 in the order
-- idle, mr_armed, tc_armed, tc_pullback, in_position, cooldown, done), the side (+1 long,
-- -1 short while armed or in a position, else 0) and the effective thresholds (after the
-- analyst's multipliers). Keyed (run_id, symbol, timestamp): a rerun of a tick inserts
-- nothing new, and a symbol's day is one range of the key. Rows older than
-- minute_log_retention_days are deleted by the session's last tick, per run (the
-- (run_id, timestamp) index serves that delete).
CREATE TABLE IF NOT EXISTS live_loop_minutes (
    run_id        text NOT NULL DEFAULT 'live',
    symbol        text NOT NULL,
    timestamp     timestamptz NOT NULL,
    close         double precision NOT NULL,
    z             double precision,
    mu            double precision,
    sigma         double precision,
    atr_5m        double precision,
    state         smallint NOT NULL CHECK (state BETWEEN 0 AND 6),
    side          smallint NOT NULL CHECK (side IN (-1, 0, 1)),
    mr_arm_z      double precision NOT NULL,
    mr_trigger_z  double precision NOT NULL,
    tc_arm_z      double precision NOT NULL,
    tc_trigger_z  double precision NOT NULL,
    PRIMARY KEY (run_id, symbol, timestamp)
);
CREATE INDEX IF NOT EXISTS live_loop_minutes_run_ts_idx ON live_loop_minutes (run_id, timestamp);
