"""The reference implementation runs on real bars, and gets a few tricky rules right by hand.

The hand-built scenarios use a tiny rolling window (W=10, min_periods=5) so a single spike
arms an MR short and the next bar triggers it; the bar(s) after the signal are then shaped
to exercise one fill rule each. Expected prices are worked out in the test from the spec.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from llm_advisor.core.calendar import make_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.data.barfiles import load_bar_file

from .stdev_reference import (
    SIGNAL_COLUMNS,
    TRADE_COLUMNS,
    reference_replay,
    round_cent,
)

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PRICE = re.compile(r"^\d+\.\d{2,}$")
MONEY = re.compile(r"^-?\d+\.\d{2,}$")

Row = tuple[datetime, float, float, float, float]


def test_real_sessions_produce_well_formed_rows(shared_data: Path) -> None:
    bars = {s: load_bar_file(shared_data / "bars_1m" / f"{s}.csv.gz") for s in ("SPY", "QQQ")}
    trades, signals = reference_replay(StrategyConfig(), bars, date(2026, 3, 2), date(2026, 3, 6))
    assert signals, "five real sessions of SPY and QQQ should produce at least one signal"
    sessions = {d: make_session(d) for d in (date(2026, 3, d) for d in range(2, 7))}
    for s in signals:
        assert tuple(s) == SIGNAL_COLUMNS
        assert ISO.match(s["signal_time"])
        assert s["status"] in {"accepted", "rejected"}
        assert (s["status"] == "accepted") == (s["reject_reason"] == "")
        assert s["client_order_id"] == (
            f"stdev-{s['signal_time'][:10].replace('-', '')}-{s['symbol']}-{s['setup']}-"
            f"{s['side']}-{s['signal_time']}"
        )
        ts = datetime.fromisoformat(s["signal_time"].replace("Z", "+00:00"))
        sess = sessions[ts.date()]
        assert sess.window_start <= ts < sess.window_end
    accepted = {s["client_order_id"]: s for s in signals if s["status"] == "accepted"}
    assert len(trades) <= len(accepted)
    keys = [(t["entry_time"], t["symbol"]) for t in trades]
    assert keys == sorted(keys)
    for t in trades:
        assert tuple(t) == TRADE_COLUMNS
        for col in ("signal_time", "entry_time", "exit_time"):
            assert ISO.match(t[col])
        assert PRICE.match(t["entry_price"]) and PRICE.match(t["exit_price"])
        assert MONEY.match(t["pnl"])
        assert t["exit_reason"] in {"stop", "target", "eod", "kill_switch"}
        assert t["signal_time"] < t["entry_time"] <= t["exit_time"]
        entry = datetime.fromisoformat(t["entry_time"].replace("Z", "+00:00"))
        exit_ = datetime.fromisoformat(t["exit_time"].replace("Z", "+00:00"))
        assert exit_.date() == entry.date()
        assert exit_ <= sessions[entry.date()].flatten
        sig = accepted[
            f"stdev-{t['signal_time'][:10].replace('-', '')}-{t['symbol']}-{t['setup']}-"
            f"{t['side']}-{t['signal_time']}"
        ]
        assert sig["qty"] == t["qty"]
        sign = 1 if t["side"] == "long" else -1
        pnl = sign * (Decimal(t["exit_price"]) - Decimal(t["entry_price"])) * int(t["qty"])
        assert pnl == Decimal(t["pnl"])
        if t["exit_reason"] in {"stop", "target"} and t["entry_time"] != t["exit_time"]:
            # away from a gap the exit is the bracket price itself
            level = sig["stop_price"] if t["exit_reason"] == "stop" else sig["target_price"]
            assert (
                sign
                * (Decimal(t["exit_price"]) - Decimal(level))
                * (-1 if t["exit_reason"] == "stop" else 1)
                >= 0
            )


# --------------------------------------------------------------------------- scenarios

SMALL = StrategyConfig(rolling_window=10, min_periods=5)


def _bar(ts: datetime, close: float, spread: float = 0.05) -> Row:
    return (ts, close, close + spread, close - spread, close)


def _frame(rows: list[Row]) -> pd.DataFrame:
    idx = pd.DatetimeIndex([r[0] for r in rows], name="timestamp")
    return pd.DataFrame(
        {
            "open": [r[1] for r in rows],
            "high": [r[2] for r in rows],
            "low": [r[3] for r in rows],
            "close": [r[4] for r in rows],
            "volume": [1000.0] * len(rows),
        },
        index=idx,
    )


def _scenario(
    day1: date,
    day2: date,
    after_signal: list[tuple[float, float, float, float]],
    quiet: int = 20,
) -> tuple[pd.DataFrame, datetime]:
    """A quiet full day1; on day2 ``quiet`` quiet bars, a spike (arms MR short), a reversion
    bar (signals MR short at ref 100.05), then ``after_signal`` bars (o, h, l, c) one a
    minute. Quiet bars alternate 100.0/100.1 so z stays at exactly +-1 (never arms)."""
    rows: list[Row] = []
    s1 = make_session(day1)
    for k in range(s1.minutes):
        rows.append(_bar(s1.open + timedelta(minutes=k), 100.0 if k % 2 == 0 else 100.1))
    s2 = make_session(day2)
    t = s2.open
    for k in range(quiet):
        rows.append(_bar(t, 100.0 if k % 2 == 0 else 100.1))
        t += timedelta(minutes=1)
    rows.append(_bar(t, 100.5))
    t += timedelta(minutes=1)
    signal_time = t
    rows.append(_bar(t, 100.05))
    t += timedelta(minutes=1)
    for o, h, lo, c in after_signal:
        rows.append((t, o, h, lo, c))
        t += timedelta(minutes=1)
    return _frame(rows), signal_time


D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def _only_signal(signals: list[dict[str, str]], signal_time: datetime) -> dict[str, str]:
    assert len(signals) == 1, signals
    sig = signals[0]
    assert sig["signal_time"] == signal_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (sig["setup"], sig["side"], sig["status"]) == ("MR", "short", "accepted")
    assert sig["ref_price"] == "100.05"
    # short: stop = ref + 1.4*atr and target = ref - 2.1*atr, both rounded up to the cent
    atr = float(sig["atr_5m"])
    assert Decimal(sig["stop_price"]) == round_cent(100.05 + 1.4 * atr, "up")
    assert Decimal(sig["target_price"]) == round_cent(100.05 - 1.5 * 1.4 * atr, "up")
    return sig


def test_stop_wins_when_stop_and_target_lie_in_one_bar() -> None:
    df, sig_t = _scenario(D1, D2, [(100.05, 101.0, 99.0, 100.05)])
    trades, signals = reference_replay(SMALL, {"AAA": df}, D2, D2)
    sig = _only_signal(signals, sig_t)
    assert len(trades) == 1
    t = trades[0]
    entry = (sig_t + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (t["entry_time"], t["exit_time"], t["exit_reason"]) == (entry, entry, "stop")
    assert t["exit_price"] == sig["stop_price"]
    assert t["entry_price"] == "100.05"
    qty = int(t["qty"])
    assert qty == 249  # floor(25% of 100,000 / 100.05): the position cap binds
    assert Decimal(t["pnl"]) == (Decimal("100.05") - Decimal(sig["stop_price"])) * qty


def test_gap_through_stop_exits_at_the_open() -> None:
    quiet = (100.05, 100.1, 100.0, 100.05)
    gap = (101.0, 101.2, 100.9, 101.1)
    df, sig_t = _scenario(D1, D2, [quiet, gap])
    trades, signals = reference_replay(SMALL, {"AAA": df}, D2, D2)
    _only_signal(signals, sig_t)
    assert len(trades) == 1
    t = trades[0]
    assert t["exit_reason"] == "stop"
    assert t["exit_price"] == "101.00"  # the open, worse than the stop
    assert t["exit_time"] == (sig_t + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert Decimal(t["pnl"]) == (Decimal("100.05") - Decimal("101.0")) * int(t["qty"])


def test_gap_beyond_target_fills_at_the_better_open() -> None:
    quiet = (100.05, 100.1, 100.0, 100.05)
    gap = (99.0, 99.1, 98.9, 99.05)
    df, sig_t = _scenario(D1, D2, [quiet, gap])
    trades, signals = reference_replay(SMALL, {"AAA": df}, D2, D2)
    _only_signal(signals, sig_t)
    assert [(t["exit_reason"], t["exit_price"]) for t in trades] == [("target", "99.00")]


def test_kill_switch_exits_at_next_open_and_blocks_arming_for_the_day() -> None:
    # Entry bar closes at 100.30 (below the stop): the short is down 0.25/share, 249 shares
    # = 62.25 >= 0.05% of 100,000 = 50 -> kill switch; exit at the next bar's open.
    losing = (100.05, 100.3, 100.0, 100.3)
    nxt = (100.2, 100.25, 100.15, 100.2)
    df, sig_t = _scenario(D1, D2, [losing, nxt, nxt])
    # BBB would signal 10 minutes later, after the breach: it must not even arm.
    later, later_t = _scenario(D1, D2, [nxt], quiet=30)
    cfg = SMALL.model_copy(update={"daily_loss_limit_pct": 0.05})
    _, control = reference_replay(SMALL, {"BBB": later}, D2, D2)
    assert [s["signal_time"] for s in control] == [later_t.strftime("%Y-%m-%dT%H:%M:%SZ")]
    trades, signals = reference_replay(cfg, {"AAA": df, "BBB": later}, D2, D2)
    _only_signal(signals, sig_t)
    assert len(trades) == 1
    t = trades[0]
    assert (t["exit_reason"], t["exit_price"]) == ("kill_switch", "100.20")
    assert t["exit_time"] == (sig_t + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_eod_flatten_at_1250_on_an_early_close_day() -> None:
    day1, day2 = date(2025, 11, 26), date(2025, 11, 28)  # 11-28 closes at 13:00
    s2 = make_session(day2)
    assert s2.early_close
    # hold the position (prices between target and stop) until the 13:00 close
    first_after = s2.open + timedelta(minutes=22)
    n = s2.minutes - 22
    bars_after: list[tuple[float, float, float, float]] = []
    for k in range(n):
        ts = first_after + timedelta(minutes=k)
        o = 100.07 if ts == s2.flatten else 100.05
        bars_after.append((o, 100.1, 100.0, 100.05))
    df, sig_t = _scenario(day1, day2, bars_after)
    trades, signals = reference_replay(SMALL, {"AAA": df}, day2, day2)
    _only_signal(signals, sig_t)
    assert len(trades) == 1
    t = trades[0]
    assert t["exit_reason"] == "eod"
    assert t["exit_time"] == "2025-11-28T17:50:00Z"  # 12:50 New York
    assert t["exit_price"] == "100.07"


def test_cent_rounding_snaps_float_noise_then_rounds_by_side() -> None:
    assert round_cent(100.33000000001, "up") == Decimal("100.33")
    assert round_cent(100.32999999999, "down") == Decimal("100.33")
    assert round_cent(100.331, "down") == Decimal("100.33")
    assert round_cent(100.331, "up") == Decimal("100.34")
    assert round_cent(0.1 + 0.2, "down") == Decimal("0.30")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_multiplier_counts_as_one(bad: float) -> None:
    df, sig_t = _scenario(D1, D2, [(100.05, 101.0, 99.0, 100.05)])
    _, signals = reference_replay(
        SMALL, {"AAA": df}, D2, D2, multipliers=lambda _t: {"AAA": (bad, 1.0, 9.0, 1.0)}
    )
    sig = _only_signal(signals, sig_t)
    assert (sig["mult_mr_arm"], sig["mult_tc_arm"]) == ("1.0", "1.5")
    assert (sig["mr_arm_z"], sig["tc_arm_z"]) == ("1.2", repr(1.8 * 1.5))
