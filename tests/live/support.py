"""Stand-ins for the live-bar tests: a scripted feed, a recording repository slice, a fake
clock for the bar wait, and the tick's dependencies over synthetic bars."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from llm_advisor.core.config import StrategyConfig
from llm_advisor.data.bar_checks import Reject
from llm_advisor.live.bars import BarWait
from llm_advisor.live.tick import PremarketSessionContext, TickDeps, engine_key, run_tick
from llm_advisor.local.stores import MemoryPlanQueue, MemoryStateStore

DAY = date(2024, 3, 12)
SYMBOLS = ("QQQ", "SPY")
OPEN = datetime(2024, 3, 12, 13, 30, tzinfo=UTC)
CONFIG = StrategyConfig(mr_arm_z=0.8, mr_trigger_z=0.3, tc_arm_z=1.2, min_periods=30)
COLUMNS = ["open", "high", "low", "close", "volume"]


def synthetic_frames() -> dict[str, pd.DataFrame]:
    from llm_advisor.data.synthetic import SyntheticMarket

    return SyntheticMarket(seed=11).minute_bars(list(SYMBOLS), date(2024, 2, 20), 16)


def at(hhmm: str) -> datetime:
    """A New York wall time on DAY (EDT, UTC-4) as UTC."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(2024, 3, 12, h + 4, m, tzinfo=UTC)


def with_bar(
    frames: Mapping[str, pd.DataFrame], symbol: str, minute: datetime, **values: float
) -> dict[str, pd.DataFrame]:
    """A copy of ``frames`` with ``symbol``'s bar at ``minute`` changed."""
    out = dict(frames)
    df = frames[symbol].copy()
    assert pd.Timestamp(minute) in df.index, f"{symbol} has no bar at {minute}"
    for col, v in values.items():
        df.loc[pd.Timestamp(minute), col] = v
    out[symbol] = df
    return out


def without_bar(
    frames: Mapping[str, pd.DataFrame], symbol: str, minute: datetime
) -> dict[str, pd.DataFrame]:
    out = dict(frames)
    out[symbol] = frames[symbol].drop(index=pd.Timestamp(minute))
    return out


class ScriptedFeed:
    """MarketDataPort over frames; ``hide[(symbol, minute)] = n`` leaves that bar out of the
    next ``n`` calls whose range covers it (a bar the feed publishes late)."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self.frames = dict(frames)
        self.hide: dict[tuple[str, datetime], int] = {}
        self.calls: list[tuple[tuple[str, ...], datetime, datetime]] = []

    def get_bars(
        self, symbols: list[str], start: datetime, end: datetime, timeframe: str = "1Min"
    ) -> dict[str, pd.DataFrame]:
        self.calls.append((tuple(symbols), start, end))
        out = {}
        for s in symbols:
            f = self.frames.get(s)
            if f is None:
                out[s] = pd.DataFrame(columns=COLUMNS)
                continue
            idx = pd.DatetimeIndex(f.index)
            part = f[(idx >= pd.Timestamp(start)) & (idx < pd.Timestamp(end))]
            for (sym, minute), n in list(self.hide.items()):
                if sym == s and n > 0 and start <= minute < end:
                    self.hide[(sym, minute)] = n - 1
                    part = part.drop(index=pd.Timestamp(minute), errors="ignore")
            out[s] = part
        return out


class Recorder:
    """The tick's slice of the repository, in memory."""

    def __init__(self) -> None:
        self.transitions: list[Any] = []
        self.signals: list[Any] = []
        self.quarantine: list[tuple[Reject, datetime]] = []
        self.minutes: list[Any] = []
        self.pruned: list[datetime] = []
        self.validations: list[Any] = []

    def save_transitions(self, transitions: Iterable[Any]) -> int:
        self.transitions.extend(transitions)
        return 0

    def save_signals(self, signals: Iterable[Any]) -> int:
        self.signals.extend(signals)
        return 0

    def save_bar_quarantine(self, rejects: Iterable[Reject], recorded_at: datetime) -> int:
        rows = [(r, recorded_at) for r in rejects]
        self.quarantine.extend(rows)
        return len(rows)

    def save_minute_log(self, minutes: Iterable[Any]) -> int:
        batch = list(minutes)
        self.minutes.extend(batch)
        return sum(len(m.idx) for m in batch)

    def prune_minute_log(self, before: datetime) -> int:
        self.pruned.append(before)
        return 0

    def save_validations(self, records: Sequence[Any]) -> int:
        self.validations.extend(records)
        return len(records)


@dataclass
class FakeTime:
    """Sleep moves the clock; nothing really waits."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> BarWait:
        return BarWait(seconds, self.sleep, self.monotonic)


def make_deps(
    frames: Mapping[str, pd.DataFrame],
    feed: Any = None,
    bar_wait: BarWait | None = None,
) -> tuple[TickDeps, MemoryStateStore, MemoryPlanQueue, Recorder]:
    from llm_advisor.premarket.pipeline import build_premarket_context

    ctx = PremarketSessionContext(
        build_premarket_context(DAY, list(SYMBOLS), dict(frames), None, [], None)
    )
    state, queue, rec = MemoryStateStore(), MemoryPlanQueue(), Recorder()
    deps = TickDeps(
        CONFIG,
        SYMBOLS,
        state,
        feed if feed is not None else ScriptedFeed(frames),
        queue,
        rec,
        lambda d: ctx,
        bar_wait=bar_wait,
    )
    return deps, state, queue, rec


def run_ticks(deps: TickDeps, first: datetime, last: datetime) -> list[Any]:
    out = []
    t = first
    while t <= last:
        out.append(run_tick(t, deps))
        t += timedelta(minutes=1)
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-JSON constant {name} in the saved state")


def strict_state(state: MemoryStateStore) -> dict[str, Any]:
    """The saved engine state parsed by a strict JSON reader (NaN/Infinity refused)."""
    stored = state.load(engine_key(DAY))
    assert stored is not None
    data: dict[str, Any] = json.loads(zlib.decompress(stored[0]), parse_constant=_no_constants)
    return data


def engine_part(state: MemoryStateStore) -> dict[str, Any]:
    """The engine's own state, without the tick's late-bar watch list."""
    from llm_advisor.live.tick import WATCH_KEY, decode_state

    stored = state.load(engine_key(DAY))
    assert stored is not None
    data = decode_state(stored[0])
    data.pop(WATCH_KEY, None)
    return data
