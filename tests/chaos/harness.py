"""What every chaos experiment shares: the tally, seeded trials, a synthetic session, the
tick's dependencies over a scripted feed, and the state checks (the broker side is in
``broker.py``).

Everything is local and clock-free: bars come from ``SyntheticMarket``, time from the tick's
scheduled ``now`` and ``ManualClock``s, waits from a fake clock that moves when "slept".
"""

from __future__ import annotations

import json
import math
import random
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from llm_advisor.core.calendar import NY
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.ports import StateStorePort
from llm_advisor.data.bar_checks import Reject
from llm_advisor.live.bars import BarWait
from llm_advisor.live.tick import (
    WATCH_KEY,
    PremarketSessionContext,
    TickDeps,
    decode_state,
    engine_key,
)
from llm_advisor.local.stores import MemoryPlanQueue, MemoryStateStore

DAY = date(2024, 3, 12)  # a Tuesday, EDT (New York = UTC-4)
HISTORY_START = date(2024, 2, 20)  # 16 sessions up to and including DAY
SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
MARKETS = 4  # synthetic markets the trials draw from
CONFIG = StrategyConfig(mr_arm_z=0.8, mr_trigger_z=0.3, tc_arm_z=1.2, min_periods=30)
COLUMNS = ["open", "high", "low", "close", "volume"]
MAX_PLAN_AGE = timedelta(seconds=90)
MAX_KEPT = 100  # failure messages kept per experiment (the table prints the first few)


# ---------------------------------------------------------------- tally
@dataclass
class Tally:
    """One experiment's row: how many trials, what one unit of work was, what failed."""

    name: str
    unit: str  # e.g. "restores"
    checked: str  # what was compared, in words
    trials: int = 0
    units: int = 0
    failures: int = 0
    messages: list[str] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)  # figures worth printing

    def fail(self, trial: int, message: str) -> None:
        self.failures += 1
        if len(self.messages) < MAX_KEPT:
            self.messages.append(f"trial {trial}: {message}")

    def check(self, ok: bool, trial: int, message: str) -> bool:
        if not ok:
            self.fail(trial, message)
        return ok

    def count(self, key: str, n: int = 1) -> None:
        self.extra[key] = self.extra.get(key, 0) + n

    def figure(self) -> str:
        parts = [f"{self.units} {self.unit}"]
        parts += [f"{v} {k}" for k, v in self.extra.items()]
        return ", ".join(parts)


def trial_rng(seed: int, experiment: str, trial: int) -> random.Random:
    """Independent of the other trials: ``--only NAME --trial K`` reproduces one failure."""
    return random.Random(f"{seed}:{experiment}:{trial}")


def run_trials(
    tally: Tally,
    trials: int,
    seed: int,
    one: Callable[[random.Random, int, Tally], None],
    only_trial: int | None = None,
) -> Tally:
    """Run ``one`` per trial; an exception escaping a trial is a failure, never a crash."""
    for k in range(trials) if only_trial is None else [only_trial]:
        tally.trials += 1
        try:
            one(trial_rng(seed, tally.name, k), k, tally)
        except Exception as exc:  # the experiment found it: report, go on
            tally.fail(k, f"{type(exc).__name__}: {str(exc)[:300]}")
    return tally


# ---------------------------------------------------------------- time
def ny(hhmm: str, day: date = DAY) -> datetime:
    """A New York wall time on ``day`` as UTC."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=NY).astimezone(UTC)


OPEN = ny("09:30")
CLOSE = ny("16:00")


def tick_times(rng: random.Random, close_tick: float = 0.25) -> list[datetime]:
    """The scheduled ticks of one trial: every minute from 09:31 to a random end between
    10:00 and 11:00, and sometimes the close's tick (which steps the rest of the day)."""
    end = ny("10:00") + timedelta(minutes=rng.randint(0, 60))
    out = []
    t = ny("09:31")
    while t <= end:
        out.append(t)
        t += timedelta(minutes=1)
    if rng.random() < close_tick:
        out.append(CLOSE)
    return out


@dataclass
class FakeTime:
    """``sleep`` moves the clock; nothing really waits."""

    now: float = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> BarWait:
        return BarWait(seconds, self.sleep, self.monotonic)


# ---------------------------------------------------------------- market
@lru_cache(maxsize=MARKETS)
def market(index: int) -> dict[str, pd.DataFrame]:
    """Synthetic minute bars of SYMBOLS for 16 sessions ending on DAY (inputs only: pure)."""
    from llm_advisor.data.synthetic import SyntheticMarket

    frames = SyntheticMarket(seed=100 + index).minute_bars(list(SYMBOLS), HISTORY_START, 16)
    return {s: frames[s] for s in SYMBOLS}


@lru_cache(maxsize=MARKETS)
def context(index: int) -> PremarketSessionContext:
    from llm_advisor.premarket.pipeline import build_premarket_context

    frames = market(index)
    return PremarketSessionContext(
        build_premarket_context(DAY, list(SYMBOLS), dict(frames), None, [], None)
    )


def without(
    frames: Mapping[str, pd.DataFrame], bars: Iterable[tuple[str, datetime]]
) -> dict[str, pd.DataFrame]:
    out = dict(frames)
    by_symbol: dict[str, list[pd.Timestamp]] = {}
    for sym, minute in bars:
        by_symbol.setdefault(sym, []).append(pd.Timestamp(minute))
    for sym, stamps in by_symbol.items():
        out[sym] = out[sym].drop(index=stamps, errors="ignore")
    return out


def has_bar(frames: Mapping[str, pd.DataFrame], sym: str, minute: datetime) -> bool:
    return pd.Timestamp(minute) in frames[sym].index


class ScriptedFeed:
    """``MarketDataPort`` over frames. ``hide[(symbol, minute)] = n`` leaves that bar out of
    the next ``n`` calls whose range covers it (a bar published late); ``first_seen`` notes
    the tick (``self.tick``) in which the feed first returned each hidden bar."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self.frames = {s: f.sort_index() for s, f in frames.items()}
        self.index = {s: pd.DatetimeIndex(f.index) for s, f in self.frames.items()}
        self.hide: dict[tuple[str, datetime], int] = {}
        self.first_seen: dict[tuple[str, datetime], int] = {}
        self.tick = 0

    def get_bars(
        self, symbols: list[str], start: datetime, end: datetime, timeframe: str = "1Min"
    ) -> dict[str, pd.DataFrame]:
        out = {}
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        for s in symbols:
            f = self.frames.get(s)
            if f is None:
                out[s] = pd.DataFrame(columns=COLUMNS)
                continue
            idx = self.index[s]  # sorted: a slice, not a mask over every row
            part = f.iloc[idx.searchsorted(lo) : idx.searchsorted(hi)]
            for (sym, minute), n in self.hide.items():
                if sym != s or not start <= minute < end:
                    continue
                if n > 0:
                    self.hide[(sym, minute)] = n - 1
                    part = part.drop(index=pd.Timestamp(minute), errors="ignore")
                elif pd.Timestamp(minute) in part.index:
                    self.first_seen.setdefault((sym, minute), self.tick)
            out[s] = part
        return out


class Recorder:
    """The tick's slice of the repository, in memory (a rerun's rows are kept, as the real
    upserts would ignore them: compare sets)."""

    def __init__(self) -> None:
        self.transitions: list[Any] = []
        self.signals: list[Any] = []
        self.quarantine: list[tuple[Reject, datetime]] = []
        self.minutes: list[Any] = []
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

    def save_minute_log(self, minutes: Sequence[Any]) -> int:
        self.minutes.extend(minutes)
        return len(minutes)

    def prune_minute_log(self, before: datetime) -> int:
        return 0

    def save_validations(self, records: Sequence[Any]) -> int:
        self.validations.extend(records)
        return len(records)


def make_deps(
    index: int,
    feed: Any,
    state: MemoryStateStore | None = None,
    plans: Any = None,
    records: Any = None,
    bar_wait: BarWait | None = None,
) -> TickDeps:
    ctx = context(index)
    return TickDeps(
        CONFIG,
        SYMBOLS,
        state if state is not None else MemoryStateStore(),
        feed,
        plans if plans is not None else MemoryPlanQueue(),
        records if records is not None else Recorder(),
        lambda d: ctx,
        bar_wait=bar_wait,
    )


# ---------------------------------------------------------------- state checks
def _refuse(name: str) -> Any:
    raise ValueError(f"non-JSON constant {name}")


def strict_json(blob: bytes) -> dict[str, Any]:
    """The stored state parsed by a strict JSON reader (NaN/Infinity refused)."""
    data: dict[str, Any] = json.loads(zlib.decompress(blob), parse_constant=_refuse)
    return data


def engine_part(state: StateStorePort) -> str:
    """The engine's own saved state (without the tick's late-bar watch list), canonical."""
    stored = state.load(engine_key(DAY))
    if stored is None:
        return "<none>"
    data = decode_state(stored[0])
    data.pop(WATCH_KEY, None)
    return repr(data)


def _fingerprint(row: Any) -> Any:
    if isinstance(row, tuple):  # namedtuples; the minute log's hold numpy arrays
        return tuple(v.tobytes() if isinstance(v, np.ndarray) else repr(v) for v in row)
    return repr(row)


def keys(rows: Iterable[Any]) -> set[Any]:
    """Rows by value (NaN equal to NaN), as a set: a rerun's repeated upserts count once."""
    return {_fingerprint(r) for r in rows}


def non_finite(obj: Any) -> bool:
    """Any +-inf or NaN in a record (namedtuples, models, lists, dicts)."""
    if isinstance(obj, float):
        return not math.isfinite(obj)
    if hasattr(obj, "model_dump"):
        return non_finite(obj.model_dump())
    if isinstance(obj, Mapping):
        return any(non_finite(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return any(non_finite(v) for v in obj)
    return False
