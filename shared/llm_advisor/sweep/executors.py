"""Executors: who runs the trials. Each returns ``TrialResult``s in trial order.

- ``run_sequential``: in this process (``--workers 1``; tests; the reference).
- ``run_pool``: a ``ProcessPoolExecutor`` (``--workers N``). The parent loads the bars
  before starting the pool, so forked workers inherit them; every worker process otherwise
  loads them once (``data.load_bars`` caches per process).
- the Step Functions Distributed Map: ``stepfunctions.py`` (the same ``run_trial`` runs
  in the sweep-worker Lambda).

Progress goes to stderr with an ETA from the mean trial rate so far.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from llm_advisor.sweep.data import DataSpec, load_bars
from llm_advisor.sweep.space import Trial
from llm_advisor.sweep.trial import TrialResult, run_trial

Progress = Callable[[int, int], None]


class ProgressBar:
    """``label [#####.....] 12/40  0:42 elapsed  ETA 1:38`` on stderr (when enabled)."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.t0 = time.monotonic()

    @staticmethod
    def _clock(secs: float) -> str:
        m, s = divmod(int(secs), 60)
        h, m = divmod(m, 60)
        return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.t0
        eta = elapsed / done * (total - done) if done else 0.0
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
            f"  {self._clock(elapsed)} elapsed  ETA {self._clock(eta)} "
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run_sequential(
    trials: Sequence[Trial], data: DataSpec, progress: Progress | None = None
) -> list[TrialResult]:
    bars = load_bars(data)
    out: list[TrialResult] = []
    for i, t in enumerate(trials, 1):
        out.append(run_trial(t, data, bars))
        if progress:
            progress(i, len(trials))
    return out


def _init_worker(data: DataSpec) -> None:
    load_bars(data)  # once per process (a no-op when forked after the parent loaded them)


def run_pool(
    trials: Sequence[Trial], data: DataSpec, workers: int, progress: Progress | None = None
) -> list[TrialResult]:
    """The trials on ``workers`` processes; results in the order of ``trials``."""
    if workers <= 1:
        return run_sequential(trials, data, progress)
    load_bars(data)  # fail fast in the parent, and share the frames with forked workers
    results: dict[int, TrialResult] = {}
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(data,)
    ) as pool:
        pending: dict[Future[TrialResult], int] = {
            pool.submit(run_trial, t, data): i for i, t in enumerate(trials)
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                results[pending.pop(f)] = f.result()
            if progress:
                progress(len(results), len(trials))
    return [results[i] for i in range(len(trials))]
