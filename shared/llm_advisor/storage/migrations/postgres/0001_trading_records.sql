-- 0001: the trading record (PostgreSQL). Same logical schema as sqlite/0001.
-- Money and prices NUMERIC (exact), times timestamptz, documents JSONB.
-- run_id scopes every record to one replay/live/demo run; live trading uses run_id 'live'.

CREATE TABLE IF NOT EXISTS runs (
    run_id        text PRIMARY KEY,
    mode          text NOT NULL CHECK (mode IN ('replay', 'live', 'demo')),
    config_hash   text NOT NULL DEFAULT '',
    config        jsonb NOT NULL DEFAULT '{}'::jsonb,
    code_version  text NOT NULL DEFAULT '',
    start_date    date,
    end_date      date,
    symbols       jsonb NOT NULL DEFAULT '[]'::jsonb,
    summary       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);

CREATE TABLE IF NOT EXISTS daily_bias (
    date           date NOT NULL,
    symbol         text NOT NULL CHECK (symbol ~ '^[A-Z][A-Z0-9.\-]{0,9}$'),
    bias           text NOT NULL CHECK (bias IN ('bullish', 'bearish', 'choppy')),
    confidence     double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 100),
    htf_bias       text,
    news_summary   text,
    model_version  text,
    features       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (date, symbol)
);

CREATE TABLE IF NOT EXISTS premarket_snapshots (
    session_date      date NOT NULL,
    symbol            text NOT NULL CHECK (symbol ~ '^[A-Z][A-Z0-9.\-]{0,9}$'),
    ema_slope_daily   double precision NOT NULL,
    ema_slope_hourly  double precision NOT NULL,
    hh_ll_tag         text NOT NULL CHECK (hh_ll_tag IN ('HH_HL', 'LL_LH', 'RANGE')),
    atr_daily         double precision,
    atr_percentile    double precision NOT NULL,
    htf_bias          text NOT NULL CHECK (htf_bias IN ('bullish', 'bearish', 'neutral')),
    band_mu           double precision,
    band_sigma        double precision,
    atr_5m            double precision,
    atr_5m_warmup     jsonb NOT NULL DEFAULT '[]'::jsonb,
    last_close_5m     double precision,
    daily_bars        integer NOT NULL DEFAULT 0 CHECK (daily_bars >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_date, symbol)
);

CREATE TABLE IF NOT EXISTS market_analysis (
    id                 bigserial PRIMARY KEY,
    timestamp          timestamptz NOT NULL,
    session_date       date NOT NULL,
    provider           text NOT NULL,
    model              text,
    market_assessment  text NOT NULL
        CHECK (market_assessment IN ('bullish', 'bearish', 'choppy', 'volatile', 'neutral')),
    confidence         double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 100),
    mult_mr_arm        double precision NOT NULL CHECK (mult_mr_arm > 0),
    mult_mr_trigger    double precision NOT NULL CHECK (mult_mr_trigger > 0),
    mult_tc_arm        double precision NOT NULL CHECK (mult_tc_arm > 0),
    mult_tc_trigger    double precision NOT NULL CHECK (mult_tc_trigger > 0),
    per_symbol         jsonb NOT NULL DEFAULT '{}'::jsonb,
    opportunities      jsonb NOT NULL DEFAULT '[]'::jsonb,
    reasoning          text NOT NULL DEFAULT '',
    interval_minutes   integer NOT NULL DEFAULT 15 CHECK (interval_minutes BETWEEN 1 AND 1440),
    source             text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (timestamp, provider)
);
CREATE INDEX IF NOT EXISTS market_analysis_ts_idx ON market_analysis (timestamp DESC);

CREATE TABLE IF NOT EXISTS live_loop_logs (
    id            bigserial PRIMARY KEY,
    run_id        text NOT NULL DEFAULT 'live',
    timestamp     timestamptz NOT NULL,
    symbol        text NOT NULL,
    seq           smallint NOT NULL DEFAULT 0 CHECK (seq >= 0),
    old_state     text NOT NULL CHECK (old_state IN
        ('idle', 'mr_armed', 'tc_armed', 'tc_pullback', 'in_position', 'cooldown', 'done')),
    new_state     text NOT NULL CHECK (new_state IN
        ('idle', 'mr_armed', 'tc_armed', 'tc_pullback', 'in_position', 'cooldown', 'done')),
    z             double precision,
    mr_arm_z      double precision NOT NULL,
    mr_trigger_z  double precision NOT NULL,
    tc_arm_z      double precision NOT NULL,
    tc_trigger_z  double precision NOT NULL,
    reason        text NOT NULL DEFAULT '',
    UNIQUE (run_id, symbol, timestamp, seq)
);
CREATE INDEX IF NOT EXISTS live_loop_logs_ts_idx ON live_loop_logs (timestamp);

CREATE TABLE IF NOT EXISTS trade_signals (
    id                bigserial PRIMARY KEY,
    run_id            text NOT NULL DEFAULT 'live',
    signal_time       timestamptz NOT NULL,
    session_date      date NOT NULL,
    symbol            text NOT NULL,
    setup             text NOT NULL CHECK (setup IN ('MR', 'TC')),
    side              text NOT NULL CHECK (side IN ('long', 'short')),
    status            text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reject_reason     text NOT NULL DEFAULT '',
    z                 double precision NOT NULL,
    ref_price         numeric NOT NULL CHECK (ref_price > 0),
    atr_5m            double precision,
    risk_per_share    double precision,
    stop_price        numeric CHECK (stop_price > 0),
    target_price      numeric CHECK (target_price > 0),
    qty               integer NOT NULL CHECK (qty >= 0),
    equity            numeric NOT NULL,
    mr_arm_z          double precision NOT NULL,
    mr_trigger_z      double precision NOT NULL,
    tc_arm_z          double precision NOT NULL,
    tc_trigger_z      double precision NOT NULL,
    mult_mr_arm       double precision NOT NULL,
    mult_mr_trigger   double precision NOT NULL,
    mult_tc_arm       double precision NOT NULL,
    mult_tc_trigger   double precision NOT NULL,
    client_order_id   text NOT NULL,
    UNIQUE (run_id, symbol, signal_time, setup, side)
);
CREATE INDEX IF NOT EXISTS trade_signals_date_idx ON trade_signals (session_date, signal_time);
CREATE INDEX IF NOT EXISTS trade_signals_symbol_idx
    ON trade_signals (symbol, session_date, signal_time);

CREATE TABLE IF NOT EXISTS llm_calls (
    id             bigserial PRIMARY KEY,
    request_hash   text NOT NULL,
    provider       text NOT NULL,
    model          text NOT NULL DEFAULT '',
    request        jsonb NOT NULL DEFAULT '{}'::jsonb,
    response       jsonb,
    tokens_in      integer NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out     integer NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost_usd       numeric NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    latency_ms     integer NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    error          text,
    decision_time  timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- The ledger is append-only: a retried request gets a new row; lookups take the latest.
CREATE UNIQUE INDEX IF NOT EXISTS llm_calls_hash_idx ON llm_calls (request_hash, created_at);
CREATE INDEX IF NOT EXISTS llm_calls_created_idx ON llm_calls (created_at);

CREATE TABLE IF NOT EXISTS llm_validations (
    id               bigserial PRIMARY KEY,
    run_id           text NOT NULL DEFAULT 'live',
    client_order_id  text NOT NULL,
    symbol           text NOT NULL,
    signal_time      timestamptz NOT NULL,
    verdict          text NOT NULL CHECK (verdict IN ('approve', 'reject', 'undecided')),
    provider         text NOT NULL DEFAULT '',
    model            text,
    request_hash     text,
    reasoning        text NOT NULL DEFAULT '',
    decided_at       timestamptz NOT NULL,
    UNIQUE (run_id, client_order_id)
);

CREATE TABLE IF NOT EXISTS orders (
    id                      bigserial PRIMARY KEY,
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
    ref_price               numeric CHECK (ref_price > 0),
    limit_price             numeric CHECK (limit_price > 0),
    stop_price              numeric CHECK (stop_price > 0),
    target_price            numeric CHECK (target_price > 0),
    status                  text NOT NULL DEFAULT 'new',
    filled_qty              integer NOT NULL DEFAULT 0 CHECK (filled_qty >= 0),
    filled_avg_price        numeric CHECK (filled_avg_price > 0),
    signal_time             timestamptz,
    session_date            date,
    submitted_at            timestamptz,
    updated_at              timestamptz NOT NULL,
    UNIQUE (run_id, client_order_id),
    FOREIGN KEY (run_id, parent_client_order_id)
        REFERENCES orders (run_id, client_order_id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX IF NOT EXISTS orders_broker_idx
    ON orders (broker_order_id) WHERE broker_order_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_parent_idx ON orders (run_id, parent_client_order_id);

CREATE TABLE IF NOT EXISTS order_status_history (
    id                bigserial PRIMARY KEY,
    run_id            text NOT NULL DEFAULT 'live',
    client_order_id   text NOT NULL,
    status            text NOT NULL,
    filled_qty        integer NOT NULL DEFAULT 0 CHECK (filled_qty >= 0),
    filled_avg_price  numeric,
    at                timestamptz NOT NULL,
    note              text NOT NULL DEFAULT '',
    UNIQUE (run_id, client_order_id, status, at),
    FOREIGN KEY (run_id, client_order_id)
        REFERENCES orders (run_id, client_order_id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS fills (
    id               bigserial PRIMARY KEY,
    run_id           text NOT NULL DEFAULT 'live',
    client_order_id  text NOT NULL,
    symbol           text NOT NULL,
    side             text NOT NULL CHECK (side IN ('buy', 'sell')),
    qty              integer NOT NULL CHECK (qty > 0),
    price            numeric NOT NULL CHECK (price > 0),
    timestamp        timestamptz NOT NULL,
    leg              text NOT NULL DEFAULT 'entry'
        CHECK (leg IN ('entry', 'stop', 'target', 'eod', 'kill_switch', 'manual')),
    broker_order_id  text,
    UNIQUE (run_id, client_order_id, leg, timestamp, qty, price)
);
CREATE INDEX IF NOT EXISTS fills_ts_idx ON fills (timestamp);

CREATE TABLE IF NOT EXISTS trades (
    id               bigserial PRIMARY KEY,
    run_id           text NOT NULL DEFAULT 'live',
    session_date     date NOT NULL,
    symbol           text NOT NULL,
    setup            text NOT NULL CHECK (setup IN ('MR', 'TC')),
    side             text NOT NULL CHECK (side IN ('long', 'short')),
    signal_time      timestamptz NOT NULL,
    entry_time       timestamptz NOT NULL,
    entry_price      numeric NOT NULL CHECK (entry_price > 0),
    exit_time        timestamptz NOT NULL,
    exit_price       numeric NOT NULL CHECK (exit_price > 0),
    qty              integer NOT NULL CHECK (qty > 0),
    exit_reason      text NOT NULL CHECK (exit_reason IN ('stop', 'target', 'eod', 'kill_switch')),
    pnl              numeric NOT NULL,
    commission       numeric NOT NULL DEFAULT 0 CHECK (commission >= 0),
    client_order_id  text NOT NULL,
    CHECK (exit_time >= entry_time),
    UNIQUE (run_id, client_order_id)
);
CREATE INDEX IF NOT EXISTS trades_date_idx ON trades (session_date, entry_time);
CREATE INDEX IF NOT EXISTS trades_symbol_idx ON trades (symbol, session_date, entry_time);
CREATE INDEX IF NOT EXISTS trades_exit_idx ON trades (exit_time);

CREATE TABLE IF NOT EXISTS positions (
    run_id           text NOT NULL DEFAULT 'live',
    symbol           text NOT NULL,
    side             text NOT NULL CHECK (side IN ('long', 'short')),
    qty              integer NOT NULL CHECK (qty > 0),
    entry_price      numeric NOT NULL CHECK (entry_price > 0),
    entry_time       timestamptz NOT NULL,
    stop_price       numeric CHECK (stop_price > 0),
    target_price     numeric CHECK (target_price > 0),
    client_order_id  text NOT NULL,
    setup            text NOT NULL CHECK (setup IN ('MR', 'TC')),
    mark_price       numeric CHECK (mark_price > 0),
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (run_id, symbol)
);

CREATE TABLE IF NOT EXISTS equity_snapshots (
    run_id          text NOT NULL DEFAULT 'live',
    timestamp       timestamptz NOT NULL,
    equity          numeric NOT NULL,
    cash            numeric,
    realized_pnl    numeric,
    unrealized_pnl  numeric,
    PRIMARY KEY (run_id, timestamp)
);
CREATE INDEX IF NOT EXISTS equity_snapshots_ts_idx ON equity_snapshots (timestamp);
