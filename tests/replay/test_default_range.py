"""``run_replay`` without ``start``/``end`` replays the range the bars hold.

The peer harness adapter (``benchmarks/peer_adapter.py``) relies on it, so it is also run
here as a script, the way the harness runs it, on a small set in the harness's format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.replay.runner import run_replay
from llm_advisor.replay.store_source import StoreBars
from tests.replay.test_streaming import assert_same_replay, awkward_bars, write_store

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT.parent / "shared" / "bench" / "peers"
START = date(2026, 1, 5)
CFG = StrategyConfig()


def test_omitted_range_is_the_bars_first_to_last_date(tmp_path: Path) -> None:
    bars = awkward_bars(6, 9)
    days = SyntheticMarket.session_days(START, 9)
    whole = run_replay(CFG, bars, show_progress=False)
    explicit = run_replay(CFG, bars, days[0], days[-1], show_progress=False)
    assert whole.sessions == days and (whole.start, whole.end) == (days[0], days[-1])
    assert whole.trades or whole.signals
    assert_same_replay(whole, explicit)
    # one end given, the other from the bars; and the same from the columnar store
    later = run_replay(CFG, bars, days[3], show_progress=False)
    assert later.sessions == days[3:]
    root = write_store(bars, tmp_path / "store")
    stored = run_replay(CFG, StoreBars(root, sorted(bars), days[-1]), show_progress=False)
    assert_same_replay(whole, stored)


def test_bars_with_no_row_at_all_say_so() -> None:
    empty = pd.DataFrame(
        {c: pd.Series(dtype=float) for c in ("open", "high", "low", "close", "volume")},
        index=pd.DatetimeIndex([], tz="UTC"),
    )
    with pytest.raises(UserError, match=r"no bars for AAA,BBB at all"):
        run_replay(CFG, {"AAA": empty, "BBB": empty}, show_progress=False)


def test_the_peer_adapter_runs_the_replay_over_the_whole_set(tmp_path: Path) -> None:
    if not (HARNESS / "common.py").is_file():
        pytest.skip(f"peer harness not found at {HARNESS} (present in CI only)")
    engines = tmp_path / "engines"
    engines.mkdir()
    (tmp_path / "common.py").write_text((HARNESS / "common.py").read_text())
    (engines / "own.py").write_text((ROOT / "benchmarks" / "peer_adapter.py").read_text())
    data = tmp_path / "data"
    data.mkdir()
    bars = SyntheticMarket(11).minute_bars(["AAA", "BBB", "CCC"], START, 6)
    for sym, df in bars.items():
        out = df[["open", "high", "low", "close", "volume"]].copy()
        out.index = pd.DatetimeIndex(out.index).tz_convert("America/New_York")
        out.rename_axis("timestamp").reset_index().to_csv(data / f"{sym}.csv", index=False)
    env = {**os.environ, "PROJECT_DIR": str(ROOT)}
    cmd = [sys.executable, str(engines / "own.py"), str(data), "--trades", str(tmp_path / "t.csv")]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=tmp_path)
    rec = json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))[7:])
    want = run_replay(CFG, bars, show_progress=False)
    assert rec["engine"] == "llm_advisor_own" and rec["n_symbols"] == 3
    assert rec["n_trades"] == len(want.trades)
    # the harness's count: every bar dated on a replayed session (premarket ones included)
    on_sessions = sum(
        int(pd.Index(pd.DatetimeIndex(df.index).tz_convert("America/New_York").date)
            .isin(want.sessions).sum())
        for df in bars.values()
    )  # fmt: skip
    assert rec["n_bars"] == on_sessions > want.symbol_bars
    assert {"import", "read", "prep", "run", "write"} <= set(rec["t"])
    assert len((tmp_path / "t.csv").read_text().splitlines()) == len(want.trades) + 1
