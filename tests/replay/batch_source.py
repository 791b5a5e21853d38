"""The replay's sessions as they were built before streaming: the reference the streamed
sources are compared with.

Every symbol's snapshots come from ``features.snapshot.build_snapshots`` over its whole
history (the premarket's own batch code) and each session's grid and seeds from
``replay.source.session_grid`` (the truth model's one-day builder), symbol by symbol. The
product's ``FrameSource`` and ``StoreSource`` both stream dated rows instead; they must
yield exactly these sessions."""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from llm_advisor.core.config import StrategyConfig
from llm_advisor.engine import session_for_config
from llm_advisor.features.snapshot import build_snapshots
from llm_advisor.replay.source import Fingerprint, Series, SessionInputs, session_grid


class BatchSource:
    """One frame per symbol holding its whole history, every snapshot built up front."""

    def __init__(
        self, bars: Mapping[str, pd.DataFrame], daily: Mapping[str, pd.DataFrame] | None = None
    ) -> None:
        self.bars = bars
        self.daily = daily or {}
        self.symbols = sorted(bars)
        self.series = {s: Series.of(bars[s]) for s in self.symbols}

    def stream(
        self, sessions: Sequence[date], config: StrategyConfig
    ) -> Generator[SessionInputs, None, None]:
        snaps = {
            s: build_snapshots(s, self.bars[s], sessions, config, self.daily.get(s))
            for s in self.symbols
        }
        for day in sessions:
            sess = session_for_config(day, config)
            grid, seeds, count = session_grid(
                self.series, self.symbols, sess, config.rolling_window
            )
            yield SessionInputs(
                day, sess, grid, seeds, {s: snaps[s][day] for s in self.symbols}, count
            )

    def fingerprint(self) -> str:
        fp = Fingerprint(self.symbols)
        for j, s in enumerate(self.symbols):
            ser = self.series[s]
            fp.add(np.full(ser.ts.size, j, dtype=np.int32), ser.ts, ser.close)
        return fp.digest()
