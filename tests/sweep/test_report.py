"""report.html: the sections from a summary, and in headless Chromium the charts render
with every network request refused (the file is self-contained)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.sweep.data import DataSpec
from llm_advisor.sweep.executors import run_sequential
from llm_advisor.sweep.metrics import Objective
from llm_advisor.sweep.report import heat_matrix, render_report
from llm_advisor.sweep.space import grid_trials, parse_grid
from llm_advisor.sweep.summary import summarize_sweep

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def summary(store: DataSpec) -> dict[str, Any]:
    grid = parse_grid(["mr_arm_z=1.0,1.6", "cooldown_bars=2,8", "atr_multiplier_sl=1.0,2.0"])
    trials, _ = grid_trials(grid, StrategyConfig())
    results = run_sequential(trials, store)
    return summarize_sweep(results, Objective("pnl"), {"sweep_id": "r1"}, (3, 2))


def test_heat_matrix_takes_the_best_over_the_other_settings() -> None:
    rows = [
        {"settings": {"a": "1", "b": "x", "c": "p"}, "score": 1.0},
        {"settings": {"a": "1", "b": "x", "c": "q"}, "score": 3.0},
        {"settings": {"a": "2", "b": "x", "c": "p"}, "score": None},
    ]
    xs, ys, z = heat_matrix(rows, "a", "b")
    assert (xs, ys, z) == (["1", "2"], ["x"], [[3.0, None]])


def test_sections_and_sensitivity(summary: dict[str, Any]) -> None:
    page = render_report(summary, charts=False)
    for text in (
        "Best settings",
        "Deflated Sharpe ratio",
        "Sensitivity",
        "Walk-forward",
        "Trials (top 25 of 8)",
    ):
        assert text in page
    sens = {s["setting"]: s for s in summary["sensitivity"]}
    assert set(sens) == {"mr_arm_z", "cooldown_bars", "atr_multiplier_sl"}
    for s in sens.values():  # two values per setting: exactly one neighbour
        assert (s["below"] is None) != (s["above"] is None)


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not found")
def test_charts_render_offline_in_chromium(summary: dict[str, Any], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(render_report(summary))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            blocked: list[str] = []
            page.route(
                "http*://**", lambda route: (blocked.append(route.request.url), route.abort())
            )
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=15000)
            # 3 heat maps (3 settings -> 3 pairs), distribution, best curve, walk-forward
            assert page.locator(".js-plotly-plot").count() == 6
            for cid in ("heat-mr_arm_z-cooldown_bars", "distribution", "walk-forward-curve"):
                assert page.locator(f"#{cid} .main-svg").count() >= 1, cid
            assert (
                page.locator(
                    "#heat-mr_arm_z-cooldown_bars .hm, #heat-mr_arm_z-cooldown_bars image"
                ).count()
                >= 1
            )
            assert page.locator("#walk-forward-curve .scatterlayer .trace").count() == 2
            assert errors == [] and blocked == []
        finally:
            browser.close()
