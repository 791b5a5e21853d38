"""Row encoders: domain records -> validated column tuples, one function per table.

Kept apart from the SQL so the validation rules (what makes a row impossible) read as one
list, and so the hot path (transitions) can encode a batch without touching a connection.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from llm_advisor.core.errors import DataError
from llm_advisor.core.models import SYMBOL_RE
from llm_advisor.storage import codec as c
from llm_advisor.storage.codec import Codec

SETUPS = frozenset({"MR", "TC"})
SIDES = frozenset({"long", "short"})
ORDER_SIDES = frozenset({"buy", "sell"})
STATES = frozenset(
    {"idle", "mr_armed", "tc_armed", "tc_pullback", "in_position", "cooldown", "done"}
)
EXIT_REASONS = frozenset({"stop", "target", "eod", "kill_switch"})
FILL_LEGS = frozenset({"entry", "stop", "target", "eod", "kill_switch", "manual"})
ORDER_LEGS = FILL_LEGS | {"other"}
BIASES = frozenset({"bullish", "bearish", "choppy"})
ASSESSMENTS = frozenset({"bullish", "bearish", "choppy", "volatile", "neutral"})
VERDICTS = frozenset({"approve", "reject", "undecided"})


def as_dict(obj: Any) -> dict[str, Any]:
    """A pydantic model (``model_dump``) or a mapping as a plain dict."""
    if isinstance(obj, Mapping):
        return dict(obj)
    dump = getattr(obj, "model_dump", None)
    if dump is None:
        raise DataError(f"record={type(obj).__name__}: expected a model or a mapping")
    out: dict[str, Any] = dump()
    return out


def _get(d: Mapping[str, Any], table: str, key: str) -> Any:
    if key not in d:
        raise DataError(f"{table}.{key}=<missing>: field is required")
    return d[key]


# ---------------------------------------------------------------- transitions (hot path)

TRANSITION_COLS = (
    "run_id", "timestamp", "symbol", "seq", "old_state", "new_state", "z",
    "mr_arm_z", "mr_trigger_z", "tc_arm_z", "tc_trigger_z", "reason",
)  # fmt: skip


def transition_rows(codec: Codec, run_id: str, items: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Encode a batch; the fast path validates each distinct symbol/time once per batch."""
    t = "live_loop_logs"
    seen: dict[tuple[str, datetime], int] = {}
    out: list[tuple[Any, ...]] = []
    ts_cache: dict[datetime, Any] = {}
    ok_symbols: set[str] = set()
    for item in items:
        if type(item) is not dict and hasattr(item, "_fields"):
            fast = _fast_transition(codec, run_id, item, seen, ts_cache, ok_symbols)
            if fast is not None:
                out.append(fast)
                continue
        if isinstance(item, Mapping):
            d = item
        elif hasattr(item, "_asdict"):  # the engine's TransitionRow (NamedTuple)
            d = item._asdict()
        else:
            d = vars(item)
        ts = c.utc(_get(d, t, "timestamp"), f"{t}.timestamp")
        sym = c.symbol(_get(d, t, "symbol"), f"{t}.symbol")
        seq = seen.get((sym, ts), 0)
        seen[(sym, ts)] = seq + 1
        z = d.get("z")
        out.append(
            (
                run_id,
                codec.ts(ts),
                sym,
                seq,
                c.text(_get(d, t, "old_state"), f"{t}.old_state", STATES),
                c.text(_get(d, t, "new_state"), f"{t}.new_state", STATES),
                None if z is None else c.number(z, f"{t}.z"),
                c.number(_get(d, t, "mr_arm_z"), f"{t}.mr_arm_z"),
                c.number(_get(d, t, "mr_trigger_z"), f"{t}.mr_trigger_z"),
                c.number(_get(d, t, "tc_arm_z"), f"{t}.tc_arm_z"),
                c.number(_get(d, t, "tc_trigger_z"), f"{t}.tc_trigger_z"),
                str(d.get("reason") or ""),
            )
        )
    return out


def _fast_transition(
    codec: Codec,
    run_id: str,
    item: Any,
    seen: dict[tuple[str, datetime], int],
    ts_cache: dict[datetime, Any],
    ok_symbols: set[str],
) -> tuple[Any, ...] | None:
    """The engine's TransitionRow with plain, valid values; None = use the checked path."""
    ts, sym, old, new, z, a, b, cc, d, reason = item
    enc = ts_cache.get(ts)
    if enc is None:
        if type(ts) is not datetime or ts.utcoffset() is None:
            return None
        enc = ts_cache[ts] = codec.ts(ts.astimezone(UTC))
    if sym not in ok_symbols:
        if not isinstance(sym, str) or not SYMBOL_RE.match(sym):
            return None
        ok_symbols.add(sym)
    if old not in STATES or new not in STATES:
        return None
    for v in (a, b, cc, d):
        if type(v) is not float or not math.isfinite(v):
            return None
    if z is not None and (type(z) is not float or not math.isfinite(z)):
        return None
    key = (sym, ts)
    seq = seen.get(key, 0)
    seen[key] = seq + 1
    return (run_id, enc, sym, seq, str(old), str(new), z, a, b, cc, d, reason or "")


# ---------------------------------------------------------------- signals

SIGNAL_COLS = (
    "run_id", "signal_time", "session_date", "symbol", "setup", "side", "status",
    "reject_reason", "z", "ref_price", "atr_5m", "risk_per_share", "stop_price",
    "target_price", "qty", "equity", "mr_arm_z", "mr_trigger_z", "tc_arm_z", "tc_trigger_z",
    "mult_mr_arm", "mult_mr_trigger", "mult_tc_arm", "mult_tc_trigger", "client_order_id",
)  # fmt: skip


def _opt_num(d: Mapping[str, Any], field: str, name: str) -> float | None:
    v = d.get(name)
    return None if v is None else c.number(v, f"{field}.{name}")


def _opt_price(codec: Codec, d: Mapping[str, Any], table: str, name: str) -> Any:
    v = d.get(name)
    if v is None:
        return None
    p = c.decimal(v, f"{table}.{name}")
    if p <= 0:
        raise DataError(f"{table}.{name}={v!r}: must be positive")
    return codec.dec(p)


def _price(codec: Codec, d: Mapping[str, Any], table: str, name: str) -> Any:
    p = c.decimal(_get(d, table, name), f"{table}.{name}")
    if p <= 0:
        raise DataError(f"{table}.{name}={d[name]!r}: must be positive")
    return codec.dec(p)


_SIG = {k: f"trade_signals.{k}" for k in (*SIGNAL_COLS, "signal_time")}
SIGNAL_STATUSES = frozenset({"accepted", "rejected"})
_TS_DAY: dict[tuple[bool, datetime], tuple[Any, Any]] = {}


def _ts_and_day(codec: Codec, ts: datetime) -> tuple[Any, Any]:
    """Encoded time and New York date: a replay's signals share a few thousand minutes, and
    the zone conversion plus ``strftime`` were a third of the encoding (bounded cache)."""
    key = (codec.pg, ts)
    hit = _TS_DAY.get(key)
    if hit is None:
        if len(_TS_DAY) >= 8192:
            _TS_DAY.clear()
        hit = _TS_DAY[key] = (codec.ts(ts), codec.day(c.session_date_of(ts)))
    return hit


def signal_row(codec: Codec, run_id: str, item: Any) -> tuple[Any, ...]:
    t = "trade_signals"
    f = _SIG
    # The engine's SignalRecord (a NamedTuple): its fields as they are, without the pydantic
    # round trip of model_dump (~0.1 ms a row); every column is checked below either way.
    d = item._asdict() if type(item) is not dict and hasattr(item, "_asdict") else as_dict(item)
    ts_enc, day_enc = _ts_and_day(codec, c.utc(_get(d, t, "signal_time"), f["signal_time"]))
    return (
        run_id,
        ts_enc,
        day_enc,
        c.symbol(_get(d, t, "symbol"), f["symbol"]),
        c.text(_get(d, t, "setup"), f["setup"], SETUPS),
        c.text(_get(d, t, "side"), f["side"], SIDES),
        c.text(_get(d, t, "status"), f["status"], SIGNAL_STATUSES),
        str(d.get("reject_reason") or ""),
        c.number(_get(d, t, "z"), f["z"]),
        _price(codec, d, t, "ref_price"),
        _opt_num(d, t, "atr_5m"),
        _opt_num(d, t, "risk_per_share"),
        _opt_price(codec, d, t, "stop_price"),
        _opt_price(codec, d, t, "target_price"),
        c.integer(_get(d, t, "qty"), f["qty"], minimum=0),
        codec.dec(c.decimal(_get(d, t, "equity"), f["equity"])),
        *(c.number(_get(d, t, k), f[k]) for k in SIGNAL_COLS[16:24]),
        c.text(_get(d, t, "client_order_id"), f["client_order_id"]),
    )


_SIGNAL_FIELDS = tuple(k for k in SIGNAL_COLS if k not in ("run_id", "session_date"))
_PLAIN_TEXT = {v: v for v in (*SETUPS, *SIDES)}  # a StrEnum member hashes as its value


def signal_rows(codec: Codec, run_id: str, items: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Encode a batch: the engine's ``SignalRecord`` rows through ``_fast_signal`` (~2 us a
    row instead of ~12), anything it does not vouch for through ``signal_row``."""
    times: dict[datetime, tuple[Any, Any]] = {}
    ok_symbols: set[str] = set()
    out: list[tuple[Any, ...]] = []
    for item in items:
        row = None
        if getattr(type(item), "_fields", None) == _SIGNAL_FIELDS:
            try:
                row = _fast_signal(codec, run_id, item, times, ok_symbols)
            except TypeError:  # an unhashable value: signal_row names the field
                row = None
        out.append(signal_row(codec, run_id, item) if row is None else row)
    return out


def _fast_signal(
    codec: Codec,
    run_id: str,
    item: Any,
    times: dict[datetime, tuple[Any, Any]],
    ok_symbols: set[str],
) -> tuple[Any, ...] | None:
    """One ``SignalRecord`` with plain, valid values encoded exactly as ``signal_row`` does
    (same checks, cheaper: type tests instead of conversions); None = use ``signal_row``."""
    ts, sym, setup, side, status, reason, z, ref, atr, risk, stop, target, qty, equity = item[:14]
    thresholds = item[14:22]
    coid = item[22]
    enc = times.get(ts)
    if enc is None:
        if type(ts) is not datetime or ts.utcoffset() is None:
            return None
        enc = times[ts] = _ts_and_day(codec, ts.astimezone(UTC))
    if sym not in ok_symbols:
        if type(sym) is not str or not SYMBOL_RE.match(sym):
            return None
        ok_symbols.add(sym)
    setup = _PLAIN_TEXT.get(setup)
    side = _PLAIN_TEXT.get(side)
    if setup not in SETUPS or side not in SIDES or status not in SIGNAL_STATUSES:
        return None
    if type(status) is not str or type(reason) is not str or type(coid) is not str:
        return None
    if type(qty) is not int or qty < 0 or type(equity) is not Decimal or not equity.is_finite():
        return None
    for v in (z, *thresholds):
        if type(v) is not float or not math.isfinite(v):
            return None
    for v in (atr, risk):
        if v is not None and (type(v) is not float or not math.isfinite(v)):
            return None
    ref_enc = _fast_price(codec, ref)
    stop_enc = None if stop is None else _fast_price(codec, stop)
    target_enc = None if target is None else _fast_price(codec, target)
    if ref_enc is None or (stop is not None and stop_enc is None):
        return None
    if target is not None and target_enc is None:
        return None
    return (run_id, *enc, sym, setup, side, status, reason, z, ref_enc, atr, risk, stop_enc,
            target_enc, qty, codec.dec(equity), *thresholds, coid)  # fmt: skip


def _fast_price(codec: Codec, v: Any) -> Any:
    """A positive finite float as ``codec.dec(c.decimal(v))`` encodes it; None = not one.
    Without an exponent, ``repr`` is already the Decimal's text (the SQLite column)."""
    if type(v) is not float or not 0 < v < math.inf:
        return None
    text = repr(v)
    if codec.pg:
        return Decimal(text)
    return text if "e" not in text else str(Decimal(text))


# ---------------------------------------------------------------- trades and fills

TRADE_COLS = (
    "run_id", "session_date", "symbol", "setup", "side", "signal_time", "entry_time",
    "entry_price", "exit_time", "exit_price", "qty", "exit_reason", "pnl", "commission",
    "client_order_id",
)  # fmt: skip


def trade_row(codec: Codec, run_id: str, item: Any) -> tuple[Any, ...]:
    t = "trades"
    d = as_dict(item)
    entry = c.utc(_get(d, t, "entry_time"), f"{t}.entry_time")
    exit_ = c.utc(_get(d, t, "exit_time"), f"{t}.exit_time")
    if exit_ < entry:
        raise DataError(f"{t}.exit_time={exit_.isoformat()!r}: before entry_time")
    pnl = c.decimal(_get(d, t, "pnl"), f"{t}.pnl")
    commission = c.decimal(d.get("commission", 0), f"{t}.commission")
    if commission < 0:
        raise DataError(f"{t}.commission={commission}: must be >= 0")
    row: tuple[Any, ...] = (
        run_id,
        codec.day(c.session_date_of(entry)),
        c.symbol(_get(d, t, "symbol"), f"{t}.symbol"),
        c.text(_get(d, t, "setup"), f"{t}.setup", SETUPS),
        c.text(_get(d, t, "side"), f"{t}.side", SIDES),
        codec.ts(c.utc(_get(d, t, "signal_time"), f"{t}.signal_time")),
        codec.ts(entry),
        _price(codec, d, t, "entry_price"),
        codec.ts(exit_),
        _price(codec, d, t, "exit_price"),
        c.integer(_get(d, t, "qty"), f"{t}.qty", minimum=1),
        c.text(_get(d, t, "exit_reason"), f"{t}.exit_reason", EXIT_REASONS),
        codec.dec(pnl),
        codec.dec(commission),
        c.text(_get(d, t, "client_order_id"), f"{t}.client_order_id"),
    )
    if not codec.pg:
        row = (*row, c.micros(pnl), c.micros(commission))
    return row


FILL_COLS = (
    "run_id", "client_order_id", "symbol", "side", "qty", "price", "timestamp", "leg",
    "broker_order_id",
)  # fmt: skip


def fill_row(codec: Codec, run_id: str, item: Any) -> tuple[Any, ...]:
    t = "fills"
    d = as_dict(item)
    return (
        run_id,
        c.text(_get(d, t, "client_order_id"), f"{t}.client_order_id"),
        c.symbol(_get(d, t, "symbol"), f"{t}.symbol"),
        c.text(_get(d, t, "side"), f"{t}.side", ORDER_SIDES),
        c.integer(_get(d, t, "qty"), f"{t}.qty", minimum=1),
        _price(codec, d, t, "price"),
        codec.ts(c.utc(_get(d, t, "timestamp"), f"{t}.timestamp")),
        c.text(d.get("leg", "entry"), f"{t}.leg", FILL_LEGS),
        d.get("broker_order_id"),
    )


# ---------------------------------------------------------------- premarket

BIAS_COLS = (
    "date", "symbol", "bias", "confidence", "htf_bias", "news_summary", "model_version",
    "features",
)  # fmt: skip


def bias_row(codec: Codec, item: Any) -> tuple[Any, ...]:
    t = "daily_bias"
    d = as_dict(item)
    conf = c.number(_get(d, t, "confidence"), f"{t}.confidence")
    if not 0 <= conf <= 100:
        raise DataError(f"{t}.confidence={conf!r}: must be within [0, 100]")
    return (
        codec.day(c.day(_get(d, t, "date"), f"{t}.date")),
        c.symbol(_get(d, t, "symbol"), f"{t}.symbol"),
        c.text(_get(d, t, "bias"), f"{t}.bias", BIASES),
        conf,
        d.get("htf_bias"),
        d.get("news_summary"),
        d.get("model_version"),
        codec.json(d.get("features") or {}),
    )


SNAPSHOT_COLS = (
    "session_date", "symbol", "ema_slope_daily", "ema_slope_hourly", "hh_ll_tag", "atr_daily",
    "atr_percentile", "htf_bias", "band_mu", "band_sigma", "atr_5m", "atr_5m_warmup",
    "last_close_5m", "daily_bars",
)  # fmt: skip


def snapshot_row(codec: Codec, item: Any) -> tuple[Any, ...]:
    t = "premarket_snapshots"
    d = as_dict(item)
    return (
        codec.day(c.day(_get(d, t, "session_date"), f"{t}.session_date")),
        c.symbol(_get(d, t, "symbol"), f"{t}.symbol"),
        c.number(_get(d, t, "ema_slope_daily"), f"{t}.ema_slope_daily"),
        c.number(_get(d, t, "ema_slope_hourly"), f"{t}.ema_slope_hourly"),
        c.text(_get(d, t, "hh_ll_tag"), f"{t}.hh_ll_tag", frozenset({"HH_HL", "LL_LH", "RANGE"})),
        _opt_num(d, t, "atr_daily"),
        c.number(_get(d, t, "atr_percentile"), f"{t}.atr_percentile"),
        c.text(
            _get(d, t, "htf_bias"), f"{t}.htf_bias", frozenset({"bullish", "bearish", "neutral"})
        ),
        _opt_num(d, t, "band_mu"),
        _opt_num(d, t, "band_sigma"),
        _opt_num(d, t, "atr_5m"),
        codec.json([c.number(x, f"{t}.atr_5m_warmup") for x in d.get("atr_5m_warmup") or ()]),
        _opt_num(d, t, "last_close_5m"),
        c.integer(d.get("daily_bars", 0), f"{t}.daily_bars", minimum=0),
    )
