"""Market data figures: bar-file load time and synthetic-market generation speed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from llm_advisor.data.barfiles import load_bar_file
from llm_advisor.data.synthetic import SyntheticMarket

SHARED_DATA = Path(
    os.environ.get(
        "LLM_ADVISOR_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)


def _best_of(n: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run() -> list[str]:
    lines: list[str] = []
    spy = SHARED_DATA / "bars_1m" / "SPY.csv.gz"
    if spy.is_file():
        rows = len(load_bar_file(spy))
        secs = _best_of(5, lambda: load_bar_file(spy))
        lines.append(f"data: load_bar_file bars_1m/SPY.csv.gz ({rows} rows): {secs * 1000:.1f} ms")
    else:
        lines.append(f"data: {spy} not found, bar-file load not measured")
    market = SyntheticMarket(7)
    market.minute_bars(["SPY"], date(2026, 1, 5), 1)  # calendar warm-up
    for n_symbols, sessions in ((5, 60), (500, 20)):
        symbols = [f"S{i:03d}" for i in range(n_symbols)]
        t0 = time.perf_counter()
        bars = market.minute_bars(symbols, date(2026, 1, 5), sessions)
        secs = time.perf_counter() - t0
        n = sum(len(df) for df in bars.values())
        lines.append(
            f"data: synthetic {n_symbols} symbols x {sessions} sessions: {secs:.2f} s "
            f"({n:,} bars, {n / secs:,.0f} bars/s)"
        )
    return lines


if __name__ == "__main__":
    for line in run():
        print(line)
