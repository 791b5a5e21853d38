-- 0008: the per-minute log (storage/minute_log.py). live_loop_logs keeps the transitions;
-- this table holds one row per symbol and processed minute of the live tick: the close, the
-- features (z, mu, sigma, 5-minute ATR), the state after the minute (code 0..6 in the order
-- idle, mr_armed, tc_armed, tc_pullback, in_position, cooldown, done), the side (+1 long,
-- -1 short while armed or in a position, else 0) and the effective thresholds (after the
-- analyst's multipliers). Keyed (run_id, symbol, timestamp): a rerun of a tick inserts
-- nothing new, and a symbol's day is one range of the key. WITHOUT ROWID: the key is the
-- table, no second copy of it. Rows older than minute_log_retention_days are deleted by
-- the session's last tick, per run (the (run_id, timestamp) index serves that delete).
CREATE TABLE IF NOT EXISTS live_loop_minutes (
    run_id        text NOT NULL DEFAULT 'live',
    symbol        text NOT NULL,
    timestamp     text NOT NULL,
    close         real NOT NULL,
    z             real,
    mu            real,
    sigma         real,
    atr_5m        real,
    state         integer NOT NULL CHECK (state BETWEEN 0 AND 6),
    side          integer NOT NULL CHECK (side IN (-1, 0, 1)),
    mr_arm_z      real NOT NULL,
    mr_trigger_z  real NOT NULL,
    tc_arm_z      real NOT NULL,
    tc_trigger_z  real NOT NULL,
    PRIMARY KEY (run_id, symbol, timestamp)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS live_loop_minutes_run_ts_idx ON live_loop_minutes (run_id, timestamp);
