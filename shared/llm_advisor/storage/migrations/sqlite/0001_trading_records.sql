-- 0001: the trading record (SQLite). Same logical schema as postgres/0001.
-- STRICT tables. Money and prices are TEXT decimal strings (exact; Decimal(str) round trip),
-- times are UTC ISO text 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (fixed width, so text order = time
-- order), dates 'YYYY-MM-DD', documents JSON text. trades also keeps pnl/commission as
-- integer micro-dollars so SUM() stays exact in SQL.
-- run_id scopes every record to one replay/live/demo run; live trading uses run_id 'live'.

CREATE TABLE IF NOT EXISTS runs (
    run_id        text PRIMARY KEY,
    mode          text NOT NULL CHECK (mode IN ('replay', 'live', 'demo')),
    config_hash   text NOT NULL DEFAULT '',
    config        text NOT NULL DEFAULT '{}',
    code_version  text NOT NULL DEFAULT '',
    start_date    text,
    end_date      text,
    symbols       text NOT NULL DEFAULT '[]',
    summary       text NOT NULL DEFAULT '{}',
    created_at    text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
) STRICT;

CREATE TABLE IF NOT EXISTS daily_bias (
    date           text NOT NULL,
    symbol         text NOT NULL CHECK (symbol GLOB '[A-Z]*' AND length(symbol) <= 10
                          AND NOT symbol GLOB '*[^A-Z0-9.-]*'),
    bias           text NOT NULL CHECK (bias IN ('bullish', 'bearish', 'choppy')),
    confidence     real NOT NULL CHECK (confidence >= 0 AND confidence <= 100),
    htf_bias       text,
    news_summary   text,
    model_version  text,
    features       text NOT NULL DEFAULT '{}',
    created_at     text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'),
    PRIMARY KEY (date, symbol)
) STRICT;

CREATE TABLE IF NOT EXISTS premarket_snapshots (
    session_date      text NOT NULL,
    symbol            text NOT NULL CHECK (symbol GLOB '[A-Z]*' AND length(symbol) <= 10
                          AND NOT symbol GLOB '*[^A-Z0-9.-]*'),
    ema_slope_daily   real NOT NULL,
    ema_slope_hourly  real NOT NULL,
    hh_ll_tag         text NOT NULL CHECK (hh_ll_tag IN ('HH_HL', 'LL_LH', 'RANGE')),
    atr_daily         real,
    atr_percentile    real NOT NULL,
    htf_bias          text NOT NULL CHECK (htf_bias IN ('bullish', 'bearish', 'neutral')),
    band_mu           real,
    band_sigma        real,
    atr_5m            real,
    atr_5m_warmup     text NOT NULL DEFAULT '[]',
    last_close_5m     real,
    daily_bars        integer NOT NULL DEFAULT 0 CHECK (daily_bars >= 0),
    created_at        text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'),
    PRIMARY KEY (session_date, symbol)
) STRICT;

CREATE TABLE IF NOT EXISTS market_analysis (
    id                 INTEGER PRIMARY KEY,
    timestamp          text NOT NULL,
    session_date       text NOT NULL,
    provider           text NOT NULL,
    model              text,
    market_assessment  text NOT NULL
        CHECK (market_assessment IN ('bullish', 'bearish', 'choppy', 'volatile', 'neutral')),
    confidence         real NOT NULL CHECK (confidence >= 0 AND confidence <= 100),
    mult_mr_arm        real NOT NULL CHECK (mult_mr_arm > 0),
    mult_mr_trigger    real NOT NULL CHECK (mult_mr_trigger > 0),
    mult_tc_arm        real NOT NULL CHECK (mult_tc_arm > 0),
    mult_tc_trigger    real NOT NULL CHECK (mult_tc_trigger > 0),
    per_symbol         text NOT NULL DEFAULT '{}',
    opportunities      text NOT NULL DEFAULT '[]',
    reasoning          text NOT NULL DEFAULT '',
    interval_minutes   integer NOT NULL DEFAULT 15 CHECK (interval_minutes BETWEEN 1 AND 1440),
    source             text NOT NULL DEFAULT '',
    created_at         text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'),
    UNIQUE (timestamp, provider)
) STRICT;
CREATE INDEX IF NOT EXISTS market_analysis_ts_idx ON market_analysis (timestamp DESC);

CREATE TABLE IF NOT EXISTS live_loop_logs (
    id            INTEGER PRIMARY KEY,
    run_id        text NOT NULL DEFAULT 'live',
    timestamp     text NOT NULL,
    symbol        text NOT NULL,
    seq           integer NOT NULL DEFAULT 0 CHECK (seq >= 0),
    old_state     text NOT NULL CHECK (old_state IN
        ('idle', 'mr_armed', 'tc_armed', 'tc_pullback', 'in_position', 'cooldown', 'done')),
    new_state     text NOT NULL CHECK (new_state IN
        ('idle', 'mr_armed', 'tc_armed', 'tc_pullback', 'in_position', 'cooldown', 'done')),
    z             real,
    mr_arm_z      real NOT NULL,
    mr_trigger_z  real NOT NULL,
    tc_arm_z      real NOT NULL,
    tc_trigger_z  real NOT NULL,
    reason        text NOT NULL DEFAULT '',
    UNIQUE (run_id, symbol, timestamp, seq)
) STRICT;
CREATE INDEX IF NOT EXISTS live_loop_logs_ts_idx ON live_loop_logs (timestamp);

CREATE TABLE IF NOT EXISTS trade_signals (
    id                INTEGER PRIMARY KEY,
    run_id            text NOT NULL DEFAULT 'live',
    signal_time       text NOT NULL,
    session_date      text NOT NULL,
    symbol            text NOT NULL,
    setup             text NOT NULL CHECK (setup IN ('MR', 'TC')),
    side              text NOT NULL CHECK (side IN ('long', 'short')),
    status            text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reject_reason     text NOT NULL DEFAULT '',
    z                 real NOT NULL,
    ref_price         text NOT NULL CHECK (CAST(ref_price AS REAL) > 0),
    atr_5m            real,
    risk_per_share    real,
    stop_price        text CHECK (CAST(stop_price AS REAL) > 0),
    target_price      text CHECK (CAST(target_price AS REAL) > 0),
    qty               integer NOT NULL CHECK (qty >= 0),
    equity            text NOT NULL,
    mr_arm_z          real NOT NULL,
    mr_trigger_z      real NOT NULL,
    tc_arm_z          real NOT NULL,
    tc_trigger_z      real NOT NULL,
    mult_mr_arm       real NOT NULL,
    mult_mr_trigger   real NOT NULL,
    mult_tc_arm       real NOT NULL,
    mult_tc_trigger   real NOT NULL,
    client_order_id   text NOT NULL,
    UNIQUE (run_id, symbol, signal_time, setup, side)
) STRICT;
CREATE INDEX IF NOT EXISTS trade_signals_date_idx ON trade_signals (session_date, signal_time);
CREATE INDEX IF NOT EXISTS trade_signals_symbol_idx
    ON trade_signals (symbol, session_date, signal_time);

CREATE TABLE IF NOT EXISTS llm_calls (
    id             INTEGER PRIMARY KEY,
    request_hash   text NOT NULL,
    provider       text NOT NULL,
    model          text NOT NULL DEFAULT '',
    request        text NOT NULL DEFAULT '{}',
    response       text,
    tokens_in      integer NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out     integer NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost_usd       text NOT NULL DEFAULT '0' CHECK (CAST(cost_usd AS REAL) >= 0),
    latency_ms     integer NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    error          text,
    decision_time  text NOT NULL,
    created_at     text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z')
) STRICT;
-- The ledger is append-only: a retried request gets a new row; lookups take the latest.
CREATE UNIQUE INDEX IF NOT EXISTS llm_calls_hash_idx ON llm_calls (request_hash, created_at);
CREATE INDEX IF NOT EXISTS llm_calls_created_idx ON llm_calls (created_at);

CREATE TABLE IF NOT EXISTS llm_validations (
    id               INTEGER PRIMARY KEY,
    run_id           text NOT NULL DEFAULT 'live',
    client_order_id  text NOT NULL,
    symbol           text NOT NULL,
    signal_time      text NOT NULL,
    verdict          text NOT NULL CHECK (verdict IN ('approve', 'reject', 'undecided')),
    provider         text NOT NULL DEFAULT '',
    model            text,
    request_hash     text,
    reasoning        text NOT NULL DEFAULT '',
    decided_at       text NOT NULL,
    UNIQUE (run_id, client_order_id)
) STRICT;

CREATE TABLE IF NOT EXISTS orders (
    id                      INTEGER PRIMARY KEY,
    run_id                  text NOT NULL DEFAULT 'live',
    client_order_id         text NOT NULL,
    broker_order_id         text,
    parent_client_order_id  text,
    leg                     text NOT NULL DEFAULT 'entry'
        CHECK (leg IN ('entry', 'stop', 'target', 'eod', 'kill_switch', 'manual', 'other')),
    symbol                  text NOT NULL,
    side                    text NOT NULL CHECK (side IN ('buy', 'sell')),
    setup                   text CHECK (setup IN ('MR', 'TC')),
    qty                     integer NOT NULL CHECK (qty > 0),
    order_type              text NOT NULL DEFAULT 'market',
    order_class             text NOT NULL DEFAULT 'bracket',
    ref_price               text CHECK (CAST(ref_price AS REAL) > 0),
    limit_price             text CHECK (CAST(limit_price AS REAL) > 0),
    stop_price              text CHECK (CAST(stop_price AS REAL) > 0),
    target_price            text CHECK (CAST(target_price AS REAL) > 0),
    status                  text NOT NULL DEFAULT 'new',
    filled_qty              integer NOT NULL DEFAULT 0 CHECK (filled_qty >= 0),
    filled_avg_price        text CHECK (CAST(filled_avg_price AS REAL) > 0),
    signal_time             text,
    session_date            text,
    submitted_at            text,
    updated_at              text NOT NULL,
    UNIQUE (run_id, client_order_id),
    FOREIGN KEY (run_id, parent_client_order_id)
        REFERENCES orders (run_id, client_order_id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS orders_broker_idx
    ON orders (broker_order_id) WHERE broker_order_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_parent_idx ON orders (run_id, parent_client_order_id);

CREATE TABLE IF NOT EXISTS order_status_history (
    id                INTEGER PRIMARY KEY,
    run_id            text NOT NULL DEFAULT 'live',
    client_order_id   text NOT NULL,
    status            text NOT NULL,
    filled_qty        integer NOT NULL DEFAULT 0 CHECK (filled_qty >= 0),
    filled_avg_price  text,
    at                text NOT NULL,
    note              text NOT NULL DEFAULT '',
    UNIQUE (run_id, client_order_id, status, at),
    FOREIGN KEY (run_id, client_order_id)
        REFERENCES orders (run_id, client_order_id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE IF NOT EXISTS fills (
    id               INTEGER PRIMARY KEY,
    run_id           text NOT NULL DEFAULT 'live',
    client_order_id  text NOT NULL,
    symbol           text NOT NULL,
    side             text NOT NULL CHECK (side IN ('buy', 'sell')),
    qty              integer NOT NULL CHECK (qty > 0),
    price            text NOT NULL CHECK (CAST(price AS REAL) > 0),
    timestamp        text NOT NULL,
    leg              text NOT NULL DEFAULT 'entry'
        CHECK (leg IN ('entry', 'stop', 'target', 'eod', 'kill_switch', 'manual')),
    broker_order_id  text,
    UNIQUE (run_id, client_order_id, leg, timestamp, qty, price)
) STRICT;
CREATE INDEX IF NOT EXISTS fills_ts_idx ON fills (timestamp);

CREATE TABLE IF NOT EXISTS trades (
    id               INTEGER PRIMARY KEY,
    run_id           text NOT NULL DEFAULT 'live',
    session_date     text NOT NULL,
    symbol           text NOT NULL,
    setup            text NOT NULL CHECK (setup IN ('MR', 'TC')),
    side             text NOT NULL CHECK (side IN ('long', 'short')),
    signal_time      text NOT NULL,
    entry_time       text NOT NULL,
    entry_price      text NOT NULL CHECK (CAST(entry_price AS REAL) > 0),
    exit_time        text NOT NULL,
    exit_price       text NOT NULL CHECK (CAST(exit_price AS REAL) > 0),
    qty              integer NOT NULL CHECK (qty > 0),
    exit_reason      text NOT NULL CHECK (exit_reason IN ('stop', 'target', 'eod', 'kill_switch')),
    pnl              text NOT NULL,
    commission       text NOT NULL DEFAULT '0' CHECK (CAST(commission AS REAL) >= 0),
    client_order_id  text NOT NULL,
    pnl_micros         integer NOT NULL,
    commission_micros  integer NOT NULL DEFAULT 0,
    CHECK (exit_time >= entry_time),
    UNIQUE (run_id, client_order_id)
) STRICT;
CREATE INDEX IF NOT EXISTS trades_date_idx ON trades (session_date, entry_time);
CREATE INDEX IF NOT EXISTS trades_symbol_idx ON trades (symbol, session_date, entry_time);
CREATE INDEX IF NOT EXISTS trades_exit_idx ON trades (exit_time);

CREATE TABLE IF NOT EXISTS positions (
    run_id           text NOT NULL DEFAULT 'live',
    symbol           text NOT NULL,
    side             text NOT NULL CHECK (side IN ('long', 'short')),
    qty              integer NOT NULL CHECK (qty > 0),
    entry_price      text NOT NULL CHECK (CAST(entry_price AS REAL) > 0),
    entry_time       text NOT NULL,
    stop_price       text CHECK (CAST(stop_price AS REAL) > 0),
    target_price     text CHECK (CAST(target_price AS REAL) > 0),
    client_order_id  text NOT NULL,
    setup            text NOT NULL CHECK (setup IN ('MR', 'TC')),
    mark_price       text CHECK (CAST(mark_price AS REAL) > 0),
    updated_at       text NOT NULL,
    PRIMARY KEY (run_id, symbol)
) STRICT;

CREATE TABLE IF NOT EXISTS equity_snapshots (
    run_id          text NOT NULL DEFAULT 'live',
    timestamp       text NOT NULL,
    equity          text NOT NULL,
    cash            text,
    realized_pnl    text,
    unrealized_pnl  text,
    PRIMARY KEY (run_id, timestamp)
) STRICT;
CREATE INDEX IF NOT EXISTS equity_snapshots_ts_idx ON equity_snapshots (timestamp);
