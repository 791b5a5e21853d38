-- 0012: the daily truth report (truth/store.py). Same logical schema as sqlite/0012.
CREATE TABLE IF NOT EXISTS truth_days (
    run_id         text NOT NULL,
    day            date NOT NULL,
    verdict        text NOT NULL CHECK (verdict IN ('identical', 'diverged')),
    counts         jsonb NOT NULL DEFAULT '{}',
    pnl_live       numeric NOT NULL,
    pnl_model      numeric NOT NULL,
    pnl_split      jsonb NOT NULL DEFAULT '{}',
    slippage_usd   numeric NOT NULL DEFAULT 0,
    slippage_bps   double precision,
    start_equity   numeric NOT NULL DEFAULT 0,
    divergences    integer NOT NULL DEFAULT 0 CHECK (divergences >= 0),
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (run_id, day)
);
CREATE TABLE IF NOT EXISTS truth_divergences (
    run_id           text NOT NULL,
    day              date NOT NULL,
    seq              integer NOT NULL CHECK (seq >= 0),
    kind             text NOT NULL,
    symbol           text NOT NULL,
    time             timestamptz,
    cause            text NOT NULL,
    detail           text NOT NULL DEFAULT '',
    client_order_id  text,
    PRIMARY KEY (run_id, day, seq)
);
