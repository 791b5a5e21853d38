"""Crash at random bars: the engine's state, saved and restored through the tick's own codec
(``encode_state``/``decode_state``, strict JSON) at random minutes, continues exactly as an
uninterrupted engine: every decision and the final state are identical.

A Lambda can die after any minute; the next invocation only has the saved blob. Anything
``to_state`` forgets (or the codec bends: a float, a NaN, a Decimal) shows up here as a
different transition, signal, plan, fill or trade, or a different final state.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, ThresholdMultipliers
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import Engine, StepResult, session_for_config
from llm_advisor.live.tick import decode_state, encode_state

from .harness import DAY, MARKETS, Tally, market, run_trials, strict_json

NAME = "crash at random bars"


def _config(rng: random.Random) -> StrategyConfig:
    risk = rng.choice([0.25, 1.0, 3.0])
    return StrategyConfig(
        max_risk_per_trade=risk,
        daily_loss_limit_pct=max(rng.choice([0.2, 2.0]), risk),
        max_open_positions=rng.randint(1, 4),
        risk_budget_check=rng.random() < 0.5,
        mr_arm_z=rng.choice([0.8, 2.0]),
        mr_trigger_z=rng.choice([0.3, 0.5]),
        tc_arm_z=rng.choice([1.2, 2.5]),
    )


def _advices(rng: random.Random, open_: datetime, minutes: int) -> dict[int, Advice]:
    """Analyst advice arriving at a few random minutes (it is part of the saved state)."""
    out = {}
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(minutes)
        m = {k: rng.uniform(0.5, 1.5) for k in ("mr_arm", "mr_trigger", "tc_arm", "tc_trigger")}
        out[i] = Advice(
            as_of=open_ + timedelta(minutes=i),
            multipliers=ThresholdMultipliers(**m),
            source="chaos",
        )
    return out


def _day(
    cfg: StrategyConfig, index: int, cuts: set[int], advices: dict[int, Advice]
) -> tuple[list[str], str, int]:
    """One session stepped by hand; after each minute in ``cuts`` the engine is replaced by
    one restored from its encoded state. Returns (decisions, final state, restores)."""
    from llm_advisor.features.snapshot import build_snapshots
    from llm_advisor.replay.runner import Series, session_grid

    bars = market(index)
    syms = sorted(bars)
    eng = Engine(cfg, syms)
    sess = session_for_config(DAY, cfg)
    snaps = {s: build_snapshots(s, bars[s], [DAY], cfg)[DAY] for s in syms}
    grid, seeds, _ = session_grid({s: Series.of(bars[s]) for s in syms}, syms, sess, 120)
    eng.begin_session(sess, snaps, seeds)
    results: list[StepResult] = []
    restores = 0
    for i in range(sess.minutes):
        if i in advices:
            eng.add_advice(advices[i])
        mb = MinuteBars(grid[0, i], grid[1, i], grid[2, i], grid[3, i], grid[4, i])
        results.append(eng.step(sess.open + timedelta(minutes=i), mb))
        if i in cuts:
            blob = encode_state(eng.to_state())
            strict_json(blob)  # raises on NaN/Infinity literals
            eng = Engine.from_state(decode_state(blob))
            restores += 1
    results.append(eng.end_session())
    decisions = [
        repr(x)
        for r in results
        for x in (*r.transitions, *r.signals, *r.plans, *r.fills, *r.trades, *r.cancelled)
    ]
    return decisions, repr(eng.to_state()), restores


def _first_difference(a: list[str], b: list[str]) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"decision {i}: {x[:120]} != {y[:120]}"
    return f"{len(a)} decisions != {len(b)}"


def run(trials: int, seed: int, only_trial: int | None = None) -> Tally:
    tally = Tally(
        NAME,
        "restores",
        "engine saved/restored (strict JSON codec) at random minutes: every transition, "
        "signal, plan, fill, trade and the final state equal an uninterrupted run",
    )
    reference: dict[tuple[str, int, str], tuple[list[str], str]] = {}

    def one(rng: random.Random, trial: int, t: Tally) -> None:
        cfg = _config(rng)
        index = rng.randrange(MARKETS)
        minutes = session_for_config(DAY, cfg).minutes
        advices = _advices(rng, session_for_config(DAY, cfg).open, minutes)
        ref_key = (cfg.model_dump_json(), index, repr(sorted(advices.items())))
        if ref_key not in reference:
            decisions, final, _ = _day(cfg, index, set(), advices)
            reference[ref_key] = (decisions, final)
        ref_decisions, ref_final = reference[ref_key]
        cuts = {rng.randrange(minutes) for _ in range(rng.randint(1, 12))}
        decisions, final, restores = _day(cfg, index, cuts, advices)
        t.units += restores
        if t.check(decisions == ref_decisions, trial, _first_difference(decisions, ref_decisions)):
            t.check(final == ref_final, trial, f"final state differs (cuts {sorted(cuts)})")

    return run_trials(tally, trials, seed, one, only_trial)
