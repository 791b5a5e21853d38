-- 0007: positions with history (storage/positions.py). The position monitor writes one row
-- per position the broker holds: opened when first seen, updated every run (qty, average
-- entry, current price, unrealized P/L, the open stop/target legs), closed when the broker
-- is flat (exit price/time/reason, realized P/L). A row is one holding of a symbol from
-- open to flat, keyed (run_id, symbol, opened_at): a rerun of the monitor updates the same
-- row, and at most one row per run and symbol is open (partial unique index).
-- client_order_id is the bracket entry (the plan) the holding came from; NULL for a
-- position no order of ours opened. Money and prices NUMERIC (exact), as in 0001. The 0001
-- table `positions` (PRIMARY KEY (run_id, symbol), no history) is deprecated: nothing
-- writes or reads it any more; it stays so older code can still run.
CREATE TABLE IF NOT EXISTS position_history (
    id               bigserial PRIMARY KEY,
    run_id           text NOT NULL DEFAULT 'live',
    symbol           text NOT NULL,
    status           text NOT NULL CHECK (status IN ('open', 'closed')),
    side             text NOT NULL CHECK (side IN ('long', 'short')),
    qty              integer NOT NULL CHECK (qty > 0),
    entry_price      numeric NOT NULL CHECK (entry_price > 0),
    opened_at        timestamptz NOT NULL,
    current_price    numeric CHECK (current_price > 0),
    unrealized_pnl   numeric,
    stop_price       numeric CHECK (stop_price > 0),
    stop_status      text,
    target_price     numeric CHECK (target_price > 0),
    target_status    text,
    client_order_id  text,
    setup            text CHECK (setup IN ('MR', 'TC')),
    closed_at        timestamptz,
    exit_price       numeric CHECK (exit_price > 0),
    realized_pnl     numeric,
    exit_reason      text
        CHECK (exit_reason IN ('stop', 'target', 'eod', 'kill_switch', 'manual', 'unknown')),
    updated_at       timestamptz NOT NULL,
    CHECK ((status = 'open') = (closed_at IS NULL)),
    UNIQUE (run_id, symbol, opened_at)
);
CREATE UNIQUE INDEX IF NOT EXISTS position_history_open_idx
    ON position_history (run_id, symbol) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS position_history_closed_idx
    ON position_history (run_id, closed_at) WHERE status = 'closed';
