"""The experiments in order, and their table."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from . import exp_bars, exp_engine, exp_executor, exp_llm, exp_tick
from .harness import Tally

SHOWN = 5  # failure messages printed per experiment

Experiment = Callable[[int, int, int | None], Tally]

# name -> (experiment, trials per --trials): the in-memory ones are cheap, so they run more.
EXPERIMENTS: dict[str, tuple[Experiment, int]] = {
    exp_engine.NAME: (exp_engine.run, 1),
    exp_tick.CRASH: (exp_tick.run_crashes, 1),
    exp_executor.NAME: (exp_executor.run, 10),
    exp_tick.OVERLAP: (exp_tick.run_overlaps, 1),
    exp_bars.BAD: (exp_bars.run_bad, 1),
    exp_bars.LATE: (exp_bars.run_late, 1),
    exp_llm.NAME: (exp_llm.run, 5),
}


def run_all(
    trials: int,
    seed: int,
    only: Sequence[str] = (),
    only_trial: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Tally]:
    """Every experiment (or those named in ``only``), with the product's own warnings
    silenced: the experiments provoke thousands of them on purpose."""
    unknown = [n for n in only if n not in EXPERIMENTS]
    if unknown:
        raise ValueError(f"--only={unknown[0]!r}: choose from {', '.join(EXPERIMENTS)}")
    rows = []
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        for name, (experiment, scale) in EXPERIMENTS.items():
            if only and name not in only:
                continue
            started = time.perf_counter()
            row = experiment(trials * scale, seed, only_trial)
            if progress is not None:
                progress(f"{name}: {time.perf_counter() - started:.1f} s")
            rows.append(row)
    finally:
        logging.disable(previous)
    return rows


def table(rows: Sequence[Tally]) -> str:
    """Markdown: experiment | trials | what was checked | failures (then the first few)."""
    out = [
        "| experiment | trials | what was checked | failures |",
        "|---|---:|---|---:|",
    ]
    for r in rows:
        out.append(f"| {r.name} | {r.trials} | {r.figure()}: {r.checked} | {r.failures} |")
    for r in rows:
        for m in r.messages[:SHOWN]:
            out.append(f"\n- {r.name}, {m}")
    return "\n".join(out)
