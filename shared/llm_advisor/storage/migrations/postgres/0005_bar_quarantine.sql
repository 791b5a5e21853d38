-- 0005: live bars that failed validation or came too late (storage/quarantine.py).
-- The live tick never gives such a bar to the engine; it stores it here for inspection with
-- the values exactly as the feed sent them, as text ('nan', 'inf', '0.0' survive as written).
-- reason is the rule's code (not_positive, high_below_low, non_finite, ..., late); detail
-- words it. recorded_at is the tick's scheduled time. A retried tick inserts nothing new.
CREATE TABLE IF NOT EXISTS bar_quarantine (
    run_id       text NOT NULL DEFAULT 'live',
    symbol       text NOT NULL,
    bar_time     timestamptz NOT NULL,
    reason       text NOT NULL,
    open         text NOT NULL,
    high         text NOT NULL,
    low          text NOT NULL,
    close        text NOT NULL,
    volume       text NOT NULL,
    detail       text NOT NULL DEFAULT '',
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (run_id, symbol, bar_time, reason)
);
CREATE INDEX IF NOT EXISTS bar_quarantine_time_idx ON bar_quarantine (bar_time);
