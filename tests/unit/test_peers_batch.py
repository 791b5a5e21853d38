"""``python -m benchmarks.peers``: our adapter is installed beside the harness's, registered
under its own engine name, and both get their ratios against the peers."""

from __future__ import annotations

from pathlib import Path

from benchmarks import peers


def test_our_adapter_is_installed_and_registered(tmp_path: Path) -> None:
    (tmp_path / "engines").mkdir()
    peers.add_own_adapter(tmp_path)
    engine = tmp_path / peers.OWN_ENGINE
    assert engine.read_text() == peers.OWN_ADAPTER.read_text()
    runner = (tmp_path / peers.RUNNER).read_text()
    registered = (
        "bench.ENGINES['llm_advisor_own'] = ('project', ['engines/llm_advisor_own_engine.py'])"
    )
    assert registered in runner
    assert runner.rstrip().endswith("bench.main()")


def _row(engine: str, bars: int, engine_s: float) -> dict[str, object]:
    return {
        "engine": engine, "size": peers.SIZE, "n_bars": bars, "n_trades": 1,
        "engine_s": engine_s, "min_engine_s": engine_s, "max_engine_s": engine_s,
        "engine_bars_per_s": bars / engine_s, "wall_s": 9.0, "wall_bars_per_s": bars / 9.0,
        "phases": {"prep": 0.0, "run": engine_s},
    }  # fmt: skip


def test_the_report_gives_both_adapters_ratios() -> None:
    rows = [
        _row("numpy_ref", 3_900_000, 1.25),
        _row("vectorbt", 3_900_000, 1.75),
        _row("llm_advisor", 3_705_000, 1.95),
        _row("llm_advisor_own", 3_705_000, 1.0),
    ]
    text = "\n".join(peers.report({"summary": rows}))
    assert "| numba_ref | - | - | no successful run |" in text
    assert "llm_advisor_own / numpy_ref: engine time 0.80x, throughput 1.19x" in text
    assert "llm_advisor / vectorbt: engine time 1.11x, throughput 0.85x" in text
