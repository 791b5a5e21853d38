"""Drive the engine bar by bar with target z-scores instead of prices.

``Harness.close_for_z`` solves (by bisection on an exact recomputation of the window) for
the close that makes the next bar's z equal a target, so a rule test reads like the spec:
"z = 1.3 -> mr_armed short". Targets are kept away from thresholds (the engine's O(1)
statistics agree with the recomputation to ~1e-12).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, Snapshot, ThresholdMultipliers
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import Engine, StepResult, session_for_config

DAY = date(2026, 3, 2)  # a Monday, regular session 14:30-21:00 UTC
EARLY = date(2025, 11, 28)  # 13:00 early close


def snapshot(
    sym: str,
    day: date,
    htf: str = "neutral",
    atr5: float | None = 0.5,
    atr_pct: float = 50.0,
    last_close_5m: float | None = 100.0,
) -> Snapshot:
    return Snapshot(
        symbol=sym,
        session_date=day.isoformat(),
        ema_slope_daily=0.0,
        ema_slope_hourly=0.0,
        hh_ll_tag="RANGE",
        atr_daily=2.0,
        atr_percentile=atr_pct,
        htf_bias=htf,  # type: ignore[arg-type]
        band_mu=100.0,
        band_sigma=1.0,
        atr_5m=atr5,
        last_close_5m=last_close_5m,
    )


def seed_closes(n: int = 120, mid: float = 100.0, d: float = 0.5) -> np.ndarray:
    """Alternating mid +/- d: mean mid, population sigma d."""
    return np.array([mid + (d if i % 2 else -d) for i in range(n)])


@dataclass
class Harness:
    cfg: StrategyConfig = field(default_factory=StrategyConfig)
    symbols: tuple[str, ...] = ("AAA",)
    day: date = DAY
    htf: Mapping[str, str] = field(default_factory=dict)
    atr5: float | None = 0.5
    atr_pct: float = 50.0
    seeds: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        self.engine = Engine(self.cfg, self.symbols)
        self.session = session_for_config(self.day, self.cfg)
        snaps = {
            s: snapshot(s, self.day, self.htf.get(s, "neutral"), self.atr5, self.atr_pct)
            for s in self.symbols
        }
        seeds = self.seeds if self.seeds is not None else {s: seed_closes() for s in self.symbols}
        self.engine.begin_session(self.session, snaps, seeds)
        self.minute = self.session.open
        self.results: list[StepResult] = []

    # -- prices ------------------------------------------------------------------------
    def window(self, sym: str) -> np.ndarray:
        i = self.engine.symbols.index(sym)
        return self.engine.rolling.window_values(i)

    def close_for_z(self, sym: str, z: float) -> float:
        w = self.window(sym)
        full = w.size >= self.cfg.rolling_window

        def zf(x: float) -> float:
            arr = np.append(w[1:] if full else w, x)
            return float((x - arr.mean()) / arr.std())

        mu, sd = float(w.mean()), float(w.std()) or 1.0
        lo, hi = mu - 20 * sd, mu + 20 * sd
        for _ in range(200):
            mid = (lo + hi) / 2
            if zf(mid) < z:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    # -- stepping ----------------------------------------------------------------------
    def at(self, hh: int, mm: int) -> None:
        """Jump the next bar to HH:MM New York time (bars in between are simply absent)."""
        from llm_advisor.core.calendar import NY

        t = datetime.combine(self.day, datetime.min.time().replace(hour=hh, minute=mm), tzinfo=NY)
        self.minute = t.astimezone(self.session.open.tzinfo)

    def step(
        self,
        z: Mapping[str, float] | None = None,
        *,
        prices: Mapping[str, tuple[float, float, float, float]] | None = None,
    ) -> StepResult:
        n = len(self.engine.symbols)
        o, h, lo, c, v = (np.full(n, np.nan) for _ in range(5))
        for sym, target in (z or {}).items():
            i = self.engine.symbols.index(sym)
            px = self.close_for_z(sym, target)
            o[i] = h[i] = lo[i] = c[i] = px
            v[i] = 100.0
        for sym, (po, ph, pl, pc) in (prices or {}).items():
            i = self.engine.symbols.index(sym)
            o[i], h[i], lo[i], c[i], v[i] = po, ph, pl, pc, 100.0
        res = self.engine.step(self.minute, MinuteBars(o, h, lo, c, v))
        self.results.append(res)
        self.minute += timedelta(minutes=1)
        return res

    def run(self, zs: list[float], sym: str = "AAA") -> list[StepResult]:
        return [self.step({sym: z}) for z in zs]

    def state(self, sym: str = "AAA") -> str:
        from llm_advisor.live.engine import STATE_NAMES

        return STATE_NAMES[int(self.engine.state[self.engine.symbols.index(sym)])].value

    def advise(self, as_of: datetime, mult: ThresholdMultipliers, interval: int = 15) -> None:
        self.engine.add_advice(Advice(as_of=as_of, interval_minutes=interval, multipliers=mult))

    @property
    def signals(self) -> list[Any]:
        return [s for r in self.results for s in r.signals]

    @property
    def trades(self) -> list[Any]:
        return [t for r in self.results for t in r.trades]

    @property
    def transitions(self) -> list[Any]:
        return [t for r in self.results for t in r.transitions]
