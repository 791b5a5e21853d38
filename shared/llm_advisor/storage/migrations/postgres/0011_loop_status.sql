-- 0011: what GET /api/status and the alerts read (notify/store.py).
-- loop_heartbeats: one row per run and component (tick, monitor, analysis, executor,
-- premarket, summary), upserted by the handler after each run: when it ran (the scheduled
-- time), whether it succeeded, when it last succeeded, and a small JSON detail (a tick's
-- minutes and duration, the monitor's equity and queue depths, the analysis source, ...).
-- alert_log: every alert raised (and every handler error), append-only and keyed by what
-- the alert is about (a fill's order id, the day of a kill switch): a rerun of the same
-- minute inserts nothing and so sends nothing twice. session_date is the New York date.
CREATE TABLE IF NOT EXISTS loop_heartbeats (
    run_id       text NOT NULL DEFAULT 'live',
    component    text NOT NULL,
    at           timestamptz NOT NULL,
    ok           boolean NOT NULL,
    last_ok_at   timestamptz,
    detail_json  jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (run_id, component)
);
CREATE TABLE IF NOT EXISTS alert_log (
    run_id        text NOT NULL DEFAULT 'live',
    alert_key     text NOT NULL,
    kind          text NOT NULL,
    severity      text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    session_date  date NOT NULL,
    at            timestamptz NOT NULL,
    subject       text NOT NULL,
    message       text NOT NULL,
    sent          boolean NOT NULL,
    PRIMARY KEY (run_id, alert_key)
);
CREATE INDEX IF NOT EXISTS alert_log_day_idx ON alert_log (run_id, session_date, at);
