"""The project's replay in the peer harness, through the entry point as it is now.

Why a copy: issue 15 says to copy the harness's adapter (``../shared/bench/peers/engines/
llm_advisor_engine.py``) into ``benchmarks/`` and adjust it when the replay's entry point
moves. ``run_replay`` now takes the range from the bars when ``start``/``end`` are omitted,
so this copy no longer scans every timestamp in Python for the dates (the harness adapter's
``prep``, 0.7 s of its 2.7 s) and hands the loader's frames over as they are (the replay
reads any timezone-aware index; no per-frame conversion to UTC). Everything else (phases,
the bars counted, the trade list) is the harness adapter's. ``benchmarks.peers`` installs it
into its copy of the harness as engine ``llm_advisor_own`` and runs it in the same batch as
the original adapter (``llm_advisor``), so both figures are side by side.

Runs with the project's own venv (``PROJECT_DIR``: the project checkout)."""

import os
import sys
import time

T0 = time.perf_counter()
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
PROJECT = os.environ.get("PROJECT_DIR", os.getcwd())
sys.path.insert(0, os.path.join(PROJECT, "shared"))
import common as C  # type: ignore[import-not-found]  # noqa: E402, N812  # the harness's helpers

from llm_advisor.core.config import StrategyConfig  # noqa: E402
from llm_advisor.replay.runner import run_replay  # noqa: E402

T_IMPORT_DONE = time.perf_counter()


def main() -> None:
    ap = C.base_args(__doc__)
    a = ap.parse_args()
    tm = C.Timer(T_IMPORT_DONE)
    tm.t["import"] = T_IMPORT_DONE - T0
    data = C.load_dir(a.data)
    tm.lap("read")
    frames = dict(data)
    tm.lap("prep")
    res = run_replay(StrategyConfig(), frames, show_progress=False)
    tm.lap("run")
    # bars on the XNYS sessions it replayed (the harness adapter's count, vectorized)
    import pandas as pd

    sess = pd.DatetimeIndex([pd.Timestamp(d) for d in res.sessions]).tz_localize(C.TZ)
    nbars = sum(
        int(df.index.tz_convert(C.TZ).normalize().isin(sess).sum()) for df in frames.values()
    )
    if a.trades:

        def local(t: object) -> str:
            return str(pd.Timestamp(t).tz_convert(C.TZ).strftime("%Y-%m-%d %H:%M:%S"))

        rows = [
            (t.symbol, t.side.value, local(t.entry_time), float(t.entry_price),
             local(t.exit_time), float(t.exit_price), t.exit_reason.value, float(t.pnl))
            for t in res.trades
        ]  # fmt: skip
        C.write_trades(a.trades, rows)
        tm.lap("write")
    note = {"note": "full spec, not the harness strategy; benchmarks/peer_adapter.py"}
    C.emit("llm_advisor_own", a.data, len(frames), nbars, len(res.trades), tm, note)


if __name__ == "__main__":
    main()
