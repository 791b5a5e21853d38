"""Bad and late live bars through ``run_tick``.

*Bad bars*: NaN, +-inf, zero, negative, ``high < low``, negative volume and off-minute bars
at random symbols and minutes (sometimes a burst on one symbol). The tick must never raise,
must quarantine exactly the bad bars (with the rule that refuses them), and must leave the
engine, the plans and the records exactly as a run whose feed never had those bars; the
saved state stays strict JSON after every tick and no record holds an infinity.

*Late bars*: bars the feed publishes one or more calls late (sometimes a whole minute),
with a random bar wait (none, 0-3 s on a fake clock). Minutes are stepped in order, each
once; every late bar is either waited for and stepped in its minute, or never fed and then
counted ``late`` once (by the tick that first sees it while it is watched). The engine ends
exactly where a run without the never-fed bars ends.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from llm_advisor.live.bars import LATE_WATCH_MINUTES
from llm_advisor.live.tick import TickDeps, TickResult, engine_key, run_tick

from .harness import (
    CLOSE,
    DAY,
    MARKETS,
    OPEN,
    SYMBOLS,
    FakeTime,
    Recorder,
    ScriptedFeed,
    Tally,
    engine_part,
    has_bar,
    keys,
    make_deps,
    market,
    non_finite,
    run_trials,
    strict_json,
    tick_times,
    without,
)

BAD = "bad bars"
LATE = "late bars"
PRICES = ("open", "high", "low", "close")
KINDS = ("nan", "inf", "-inf", "zero", "negative", "crossed", "negative_volume", "off_minute")
REASON = {
    "nan": "non_finite",
    "inf": "non_finite",
    "-inf": "non_finite",
    "zero": "not_positive",
    "negative": "not_positive",
    "crossed": "high_below_low",
    "negative_volume": "negative_volume",
    "off_minute": "not_minute_aligned",
}
Bar = tuple[str, datetime]


def _tick(now: datetime, deps: TickDeps) -> TickResult:
    try:
        return run_tick(now, deps)
    except Exception as exc:
        raise RuntimeError(f"tick {now:%H:%M} raised {type(exc).__name__}: {exc}") from exc


def _poison(
    rng: random.Random, frames: dict[str, pd.DataFrame], sym: str, minute: datetime, kind: str
) -> tuple[dict[str, pd.DataFrame], datetime]:
    """``frames`` with ``sym``'s bar at ``minute`` made bad; returns the bad row's time."""
    df = frames[sym].copy()
    ts = pd.Timestamp(minute)
    when = minute
    row = {str(c): float(v) for c, v in df.loc[ts].to_dict().items()}
    if kind == "off_minute":
        when = minute + timedelta(seconds=rng.choice([1, 17, 30, 59]))
        df = df.drop(index=ts)
        df.loc[pd.Timestamp(when)] = pd.Series(row)
        df = df.sort_index()
    elif kind == "negative_volume":
        df.at[ts, "volume"] = -float(rng.randint(1, 500))
    elif kind == "crossed":
        df.at[ts, "high"] = row["low"] * rng.uniform(0.9, 0.999)
    elif kind == "nan":
        df.at[ts, rng.choice([*PRICES, "volume"])] = math.nan
    else:
        col = rng.choice(PRICES)
        value = {"inf": math.inf, "-inf": -math.inf, "zero": 0.0}.get(kind)
        df.at[ts, col] = -abs(row[col]) if value is None else value
    return {**frames, sym: df}, when


def _no_inf(rec: Recorder) -> bool:
    if non_finite(rec.transitions) or non_finite(rec.signals):
        return False
    for m in rec.minutes:
        for v in m:
            if isinstance(v, np.ndarray) and v.dtype.kind == "f" and np.isinf(v).any():
                return False
    return True


def run_bad(trials: int, seed: int, only_trial: int | None = None) -> Tally:
    tally = Tally(
        BAD,
        "bad bars",
        "NaN/inf/zero/negative/high<low/negative volume/off-minute bars: no tick raises, "
        "exactly those quarantined (right rule), engine, plans and records equal a feed "
        "without them, state strict JSON after every tick, no inf stored",
    )

    def one(rng: random.Random, trial: int, t: Tally) -> None:
        index = rng.randrange(MARKETS)
        times = tick_times(rng)
        frames = market(index)
        last = (times[-2] if times[-1] == CLOSE else times[-1]) - timedelta(minutes=1)
        span = int((last - OPEN).total_seconds() // 60)
        chosen: dict[Bar, str] = {}
        for _ in range(rng.randint(1, 8)):
            sym = rng.choice(SYMBOLS)
            start = OPEN + timedelta(minutes=rng.randint(0, span))
            burst = rng.randint(2, 5) if rng.random() < 0.2 else 1
            for k in range(burst):
                m = start + timedelta(minutes=k)
                if m <= last and has_bar(frames, sym, m):
                    chosen[(sym, m)] = rng.choice(KINDS)
        poisoned = dict(frames)
        expected = set()
        for (sym, m), kind in sorted(chosen.items()):
            poisoned, when = _poison(rng, poisoned, sym, m, kind)
            expected.add((sym, when, REASON[kind]))
        t.units += len(chosen)
        deps = make_deps(index, ScriptedFeed(poisoned))
        ref = make_deps(index, ScriptedFeed(without(frames, chosen)))
        for now in times:
            res = _tick(now, deps)
            run_tick(now, ref)
            t.check(
                res.status in ("stepped", "up_to_date"), trial, f"tick {now:%H:%M}: {res.status}"
            )
            stored = deps.state.load(engine_key(DAY))
            if stored is not None:
                strict_json(stored[0])
        rec, ref_rec = deps.records, ref.records
        assert isinstance(rec, Recorder) and isinstance(ref_rec, Recorder)
        got = {(r.symbol, r.time, r.reason) for r, _ in rec.quarantine}
        t.check(
            got == expected,
            trial,
            f"quarantined {sorted(got ^ expected)[:3]} (symmetric difference with the bad bars)",
        )
        t.check(engine_part(deps.state) == engine_part(ref.state), trial, "engine state differs")
        plans = [p.model_dump_json() for p in deps.plans.plans]  # type: ignore[attr-defined]
        ref_plans = [p.model_dump_json() for p in ref.plans.plans]  # type: ignore[attr-defined]
        t.check(plans == ref_plans, trial, "published plans differ")
        t.check(keys(rec.transitions) == keys(ref_rec.transitions), trial, "transitions differ")
        t.check(keys(rec.signals) == keys(ref_rec.signals), trial, "signals differ")
        t.check(keys(rec.minutes) == keys(ref_rec.minutes), trial, "minute log differs")
        t.check(_no_inf(rec), trial, "an infinity reached a stored record")

    return run_trials(tally, trials, seed, one, only_trial)


def run_late(trials: int, seed: int, only_trial: int | None = None) -> Tally:
    tally = Tally(
        LATE,
        "late bars",
        "bars published 1-6 feed calls late, random bar wait: minutes stepped in order and "
        "once, each late bar stepped in its minute or never fed and counted late once; "
        "engine and plans equal a run without the never-fed bars",
    )

    def one(rng: random.Random, trial: int, t: Tally) -> None:
        index = rng.randrange(MARKETS)
        times = tick_times(rng, close_tick=0.0)
        times.append(times[-1] + timedelta(minutes=1))  # the feed has caught up: no wait
        frames = market(index)
        feed = ScriptedFeed(frames)
        clock = FakeTime()
        wait_s = rng.choice([None, 0.0, 1.0, 2.0, 3.0, 3.0])
        wait = None if wait_s is None else clock.wait(wait_s)
        if wait is not None and rng.random() < 0.2:
            wait = type(wait)(wait.seconds, wait.sleep, wait.monotonic, published_share=0.5)
        span = int((times[-2] - OPEN).total_seconds() // 60) - 1
        for _ in range(rng.randint(2, 10)):
            m = OPEN + timedelta(minutes=rng.randint(0, span))
            syms = SYMBOLS if rng.random() < 0.15 else (rng.choice(SYMBOLS),)
            for s in syms:
                if has_bar(frames, s, m):
                    feed.hide[(s, m)] = rng.randint(1, 6)
        t.units += len(feed.hide)
        deps = make_deps(index, feed, bar_wait=wait)
        stepped_at: dict[datetime, int] = {}
        last_after: list[datetime | None] = []  # last stepped minute after each tick
        late: list[tuple[Bar, int]] = []
        last: datetime | None = None
        for i, now in enumerate(times):
            feed.tick = i
            if i == len(times) - 1:
                deps.bar_wait = None
            res = _tick(now, deps)
            for m in res.minutes:
                if not t.check(last is None or m > last, trial, f"minute {m:%H:%M} out of order"):
                    continue
                last = m
                stepped_at[m] = i
            last_after.append(last)
            late += [((r.symbol, r.time), i) for r in res.late]
            t.count("held", res.held is not None)
            t.check(
                all(r.reason == "late" for r in res.late) and not res.quarantined,
                trial,
                f"tick {now:%H:%M}: unexpected rejects {[r.reason for r in res.quarantined]}",
            )
        never_fed = {
            bar
            for bar in feed.hide
            if bar[1] not in stepped_at or feed.first_seen.get(bar, len(times)) > stepped_at[bar[1]]
        }
        reported = [bar for bar, _ in late]
        t.count("counted late", len(reported))
        t.check(len(reported) == len(set(reported)), trial, "a late bar was counted twice")
        fed = set(reported) - never_fed
        t.check(not fed, trial, f"counted late but fed: {sorted(fed)[:3]}")
        for bar in never_fed:
            seen = feed.first_seen.get(bar)
            if seen is None or seen == 0:
                continue
            watched = last_after[seen - 1]
            if watched is None or bar[1] < watched - timedelta(minutes=LATE_WATCH_MINUTES - 1):
                continue  # outside the watch window by then: legitimately never reported
            t.check((bar, seen) in late, trial, f"late bar {bar} seen at tick {seen}, not counted")
        ref = make_deps(index, ScriptedFeed(without(frames, never_fed)))
        for now in times:
            run_tick(now, ref)
        t.check(engine_part(deps.state) == engine_part(ref.state), trial, "engine state differs")
        ids = [p.client_order_id for p in deps.plans.plans]  # type: ignore[attr-defined]
        ref_ids = [p.client_order_id for p in ref.plans.plans]  # type: ignore[attr-defined]
        t.check(ids == ref_ids, trial, f"plans differ: {set(ids) ^ set(ref_ids)}")

    return run_trials(tally, trials, seed, one, only_trial)
