"""report.html and compare.html in headless Chromium, opened from disk with the network
blocked: every chart is drawn (Plotly's ``.js-plotly-plot`` with its ``svg.main-svg``)
and the symbol-day picker redraws the chart for the picked symbol-day."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.core.calendar import NY
from llm_advisor.replay.report import write_report

from .conftest import Week
from .test_report_cli import RUNS, compare_into

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} not found (Debian: apt-get install -y chromium)",
    ),
]

RUN_CHARTS = (
    "equity-chart",
    "drawdown-chart",
    "daily-chart",
    "by-setup-chart",
    "by-side-chart",
    "by-symbol-chart",
    "by-hour-chart",
    "exits-chart",
    "symbol-day-chart",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield b
        finally:
            b.close()


class Offline:
    """A page that may load file:// only; records what else it tried and any JS error."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 1000})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self, path: Path) -> Any:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready='true']", timeout=20000)
        return self.page

    def drawn(self, chart_id: str) -> bool:
        return bool(self.page.locator(f"#{chart_id}.js-plotly-plot svg.main-svg").count())


def test_run_report_draws_every_chart_and_the_picked_symbol_day(
    browser: Any, week: Week, tmp_path: Path
) -> None:
    path = write_report(tmp_path, week.result, week.bars)
    view = Offline(browser)
    page = view.open(path)
    assert [c for c in RUN_CHARTS if not view.drawn(c)] == []
    # pick a symbol-day other than the one drawn on load, with its trades
    first = page.locator("body").get_attribute("data-symbol-day")
    days: dict[tuple[str, str], int] = {}
    for t in week.result.trades:
        key = (t.symbol, t.entry_time.astimezone(NY).date().isoformat())
        days[key] = days.get(key, 0) + 1
    (symbol, day), n = next((k, v) for k, v in sorted(days.items()) if " ".join(k) != first)
    page.select_option("#sd-symbol", symbol)
    label = page.locator("#sd-day option", has_text=day).first.get_attribute("value")
    page.select_option("#sd-day", label)
    page.wait_for_selector(f"body[data-symbol-day='{symbol} {day}']")
    assert view.drawn("symbol-day-chart")
    assert f"{symbol} {day}" in (page.locator("#symbol-day-chart .gtitle").text_content() or "")
    assert page.locator("#sd-trades tbody tr").count() == n
    # price, z, eight threshold lines and the abort band, one line per trade, the signals
    assert page.locator("#symbol-day-chart .scatterlayer .trace").count() >= 12 + n
    assert view.blocked == [] and view.errors == []


def test_zero_trade_report_renders_with_a_no_trades_note(
    browser: Any, flat_week: Week, tmp_path: Path
) -> None:
    view = Offline(browser)
    page = view.open(write_report(tmp_path, flat_week.result, flat_week.bars))
    assert page.locator("#no-trades").is_visible()
    assert "No trades" in page.locator("#no-trades").inner_text()
    assert view.drawn("equity-chart") and view.drawn("daily-chart")
    assert view.errors == [] and view.blocked == []


def test_compare_page_draws_every_run_and_links_their_reports(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    assert compare_into(out, tmp_path) == 0
    view = Offline(browser)
    page = view.open(out / "compare.html")
    for chart in ("compare-equity", "compare-drawdown", "compare-daily", "compare-exits"):
        assert view.drawn(chart), chart
    assert page.locator("#compare-equity .scatterlayer .trace").count() == len(RUNS)
    page.click("#runs a >> text=shuffled")
    page.wait_for_selector("body[data-ready='true']", timeout=20000)
    assert page.url.endswith("/shuffled/report.html")
    assert view.drawn("equity-chart") and view.drawn("symbol-day-chart")
    assert view.errors == [] and view.blocked == []
