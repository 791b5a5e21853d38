-- 0012: the daily truth report (truth/store.py). One row per run and session with the
-- verdict of the live day against its replay ('identical' or 'diverged'), the counts, the
-- live and model P/L and its split (slippage, missed, extra, fees, other; JSON of decimal
-- strings), the entry slippage (total USD, mean basis points); one row per divergence with
-- its kind, symbol, minute, cause and words. A rerun of the report replaces the day's rows.
CREATE TABLE IF NOT EXISTS truth_days (
    run_id         text NOT NULL,
    day            text NOT NULL,
    verdict        text NOT NULL CHECK (verdict IN ('identical', 'diverged')),
    counts         text NOT NULL DEFAULT '{}',
    pnl_live       text NOT NULL,
    pnl_model      text NOT NULL,
    pnl_split      text NOT NULL DEFAULT '{}',
    slippage_usd   text NOT NULL DEFAULT '0',
    slippage_bps   real,
    start_equity   text NOT NULL DEFAULT '0',
    divergences    integer NOT NULL DEFAULT 0 CHECK (divergences >= 0),
    created_at     text NOT NULL,
    PRIMARY KEY (run_id, day)
) STRICT;
CREATE TABLE IF NOT EXISTS truth_divergences (
    run_id           text NOT NULL,
    day              text NOT NULL,
    seq              integer NOT NULL CHECK (seq >= 0),
    kind             text NOT NULL,
    symbol           text NOT NULL,
    time             text,
    cause            text NOT NULL,
    detail           text NOT NULL DEFAULT '',
    client_order_id  text,
    PRIMARY KEY (run_id, day, seq)
) STRICT;
