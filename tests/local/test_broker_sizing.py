"""Live orders are sized from the broker's account, not from a fictional 100,000 (issue 12).

The drivers read the account once when a session begins and hand its figures to the engine:
the equity at the previous close (plus today's realized P/L), the broker's buying power as a
cap on the notional, and the optional ``ADVISOR_MAX_SIZING_EQUITY`` ceiling. The figures are
saved with the engine state, so a later tick (or a rerun) sizes from the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import RetryableError
from llm_advisor.core.ports import Account
from llm_advisor.engine.sizing import (
    SessionAccount,
    qty_with_buying_power,
    session_account,
    size_signal,
)
from llm_advisor.live.engine import Engine, session_for_config
from llm_advisor.live.tick import (
    PremarketSessionContext,
    TickDeps,
    decode_state,
    engine_key,
    run_tick,
)
from llm_advisor.local.day import run_local_day, synthetic_day_bars
from llm_advisor.local.stores import MemoryPlanQueue, MemoryStateStore

DAY = date(2024, 3, 12)
SYMBOLS = ("IWM", "NVDA", "QQQ", "SPY", "TSLA")


# ---------------------------------------------------------------- sizing arithmetic
def test_the_broker_buying_power_caps_the_notional_when_it_is_smaller() -> None:
    cfg = StrategyConfig()
    # strategy: 4 x 10,000 = 40,000 of notional; the broker allows 12,000 of it
    assert qty_with_buying_power(1000, 1000, 100.0, 10_000.0, 0.0, cfg) == 400
    assert qty_with_buying_power(1000, 1000, 100.0, 10_000.0, 0.0, cfg, 12_000.0) == 120
    assert qty_with_buying_power(1000, 1000, 100.0, 10_000.0, 2_000.0, cfg, 12_000.0) == 100
    # a larger broker figure never lifts the strategy's own cap
    assert qty_with_buying_power(1000, 1000, 100.0, 10_000.0, 0.0, cfg, 1e9) == 400
    s = size_signal(100.0, 1.0, 1, 10_000.0, 0.0, cfg, broker_buying_power=500.0)
    assert s.qty == 5


def test_session_account_uses_last_equity_and_the_cap() -> None:
    a = session_account(Decimal("10500"), Decimal("10000"), Decimal("40000"), None)
    assert a.equity == Decimal("10000")  # the previous close, not the live figure
    assert a.sizing_equity(Decimal("250")) == Decimal("10250")
    capped = session_account(Decimal("1e6"), Decimal("1e6"), Decimal("4e6"), Decimal("25000"))
    assert capped.sizing_equity(Decimal("-100")) == Decimal("25000")
    assert capped.sizing_equity(Decimal(0)) == Decimal("25000")
    assert session_account(Decimal("9000"), None, Decimal("1")).equity == Decimal("9000")
    assert SessionAccount.from_dict(capped.to_dict()) == capped


def test_the_engine_sizes_from_the_account_and_keeps_it_in_its_state() -> None:
    cfg = StrategyConfig()
    eng = Engine(cfg, ["SPY"])
    session = session_for_config(DAY, cfg)
    eng.begin_session(session, {}, {}, SessionAccount(Decimal("10000"), Decimal("40000")))
    assert eng.equity == Decimal("10000") and eng.day_start_equity == Decimal("10000")
    again = Engine.from_state(eng.to_state())
    assert again.account == eng.account and again.equity == Decimal("10000")
    # without an account (replay) the simulated equity is unchanged
    plain = Engine(cfg, ["SPY"])
    plain.begin_session(session, {}, {})
    assert plain.equity == Decimal("100000") and plain.to_state()["account"] is None


# ---------------------------------------------------------------- the tick
class FrameData:
    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self.frames = dict(frames)

    def get_bars(
        self, symbols: list[str], start: datetime, end: datetime, timeframe: str = "1Min"
    ) -> dict[str, pd.DataFrame]:
        out = {}
        for s in symbols:
            f = self.frames[s]
            idx = pd.DatetimeIndex(f.index)
            out[s] = f[(idx >= pd.Timestamp(start)) & (idx < pd.Timestamp(end))]
        return out


class Recorder:
    def save_transitions(self, transitions: Any) -> int:
        return 0

    def save_signals(self, signals: Any) -> int:
        return 0

    def save_minute_log(self, minutes: Any) -> int:
        return 0

    def prune_minute_log(self, before: Any) -> int:
        return 0


class Broker:
    def __init__(self, equity: str, fail: bool = False) -> None:
        self.reads = 0
        self.equity = Decimal(equity)
        self.fail = fail

    def account(self) -> Account:
        self.reads += 1
        if self.fail:
            raise ConnectionError("connection refused")
        return Account(
            equity=self.equity + 123,  # moved since the close: sizing must not follow it
            cash=self.equity,
            buying_power=self.equity * 4,
            last_equity=self.equity,
        )


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return synthetic_day_bars(DAY, ["SPY", "QQQ"], 11, 3)


def _deps(frames: dict[str, pd.DataFrame], broker: Broker, state: MemoryStateStore) -> TickDeps:
    from llm_advisor.premarket.pipeline import build_premarket_context

    ctx = PremarketSessionContext(
        build_premarket_context(DAY, ["QQQ", "SPY"], frames, None, [], None)
    )
    cfg = StrategyConfig(mr_arm_z=0.8, mr_trigger_z=0.3, tc_arm_z=1.2, min_periods=30)
    return TickDeps(
        cfg,
        ("QQQ", "SPY"),
        state,
        FrameData(frames),
        MemoryPlanQueue(),
        Recorder(),
        lambda d: ctx,
        account=broker.account,
        max_sizing_equity=Decimal("8000"),
    )


def _at(hh: int, mm: int) -> datetime:
    return datetime(2024, 3, 12, hh + 4, mm, tzinfo=UTC)  # New York is UTC-4 that day


def test_the_tick_reads_the_account_once_and_records_it(frames: dict[str, Any]) -> None:
    broker, state = Broker("10000"), MemoryStateStore()
    deps = _deps(frames, broker, state)
    t = _at(9, 31)
    while t <= _at(10, 30):
        run_tick(t, deps)
        t += timedelta(minutes=1)
    assert broker.reads == 1
    saved = decode_state(state.load(engine_key(DAY))[0])  # type: ignore[index]
    assert saved["account"] == {"equity": "10000", "buying_power": "40000", "max_equity": "8000"}
    assert saved["day_start_equity"] == "8000"  # capped by ADVISOR_MAX_SIZING_EQUITY


def test_an_unreachable_broker_fails_the_tick_and_saves_nothing(frames: dict[str, Any]) -> None:
    broker, state = Broker("10000", fail=True), MemoryStateStore()
    deps = _deps(frames, broker, state)
    with pytest.raises(RetryableError, match="broker account unavailable"):
        run_tick(_at(9, 31), deps)
    assert state.load(engine_key(DAY)) is None
    broker.fail = False  # the next minute begins the session from the real account
    assert run_tick(_at(9, 32), deps).status == "stepped"
    assert decode_state(state.load(engine_key(DAY))[0])["account"]["equity"] == "10000"  # type: ignore[index]


# ---------------------------------------------------------------- the local day
@pytest.fixture(scope="module")
def two_accounts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    bars = synthetic_day_bars(DAY, SYMBOLS, 7, 3)
    out = {}
    for label, cash, cap in (("small", 10_000.0, None), ("large", 100_000.0, None)):
        db = tmp_path_factory.mktemp(label) / "advisor.sqlite3"
        out[label] = run_local_day(
            DAY,
            SYMBOLS,
            db_url=f"sqlite:///{db}",
            history_sessions=3,
            bars=bars,
            account_equity=cash,
            max_sizing_equity=cap,
        )
    return out


def test_a_ten_times_smaller_account_trades_about_ten_times_smaller(
    two_accounts: dict[str, Any],
) -> None:
    small = {o.client_order_id: o.qty for o in two_accounts["small"].orders if o.leg == "entry"}
    large = {o.client_order_id: o.qty for o in two_accounts["large"].orders if o.leg == "entry"}
    both = sorted(set(small) & set(large))
    assert len(both) >= 3, "the day must trade in both accounts"
    for cid in both:
        assert 8 <= large[cid] / small[cid] <= 12.5, (cid, large[cid], small[cid])
    assert sum(large.values()) / sum(small.values()) == pytest.approx(10, rel=0.1)
