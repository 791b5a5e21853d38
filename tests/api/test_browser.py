"""The example page in headless Chromium against a seeded database: the figures it shows are
the API's, fetched cross-origin from a second port exactly as ``make api`` serves them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from .dbs import seeded_sqlite
from .servers import running

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} not found (Debian: apt-get install -y chromium)",
    ),
]


def money_text(x: Decimal, signed: bool = False) -> str:
    """What the page prints for a money string (app.js fmtMoney)."""
    sign = "-" if x < 0 else ("+" if signed and x > 0 else "")
    return f"{sign}${abs(x):,.2f}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        try:
            yield b
        finally:
            b.close()


def test_page_shows_the_portfolio(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    url, exp = seeded_sqlite(tmp_path_factory.mktemp("pagedb"))
    with running(url, datetime(2024, 3, 8, 21, 0, tzinfo=UTC)) as servers:
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        # No ?end=: the page must find the data's period by itself (the demo's dates are
        # not today's), and call the API on another origin.
        page.goto(f"{servers.web_url}/?api={servers.api_url}")
        page.wait_for_selector("body[data-loaded='true']", timeout=15000)

        assert errors == []
        assert page.locator("#error").is_hidden()
        assert page.locator("#health").inner_text() == "API ok"
        assert page.locator("#end").input_value() == exp.last_day.isoformat()
        assert page.locator("#total-pnl").inner_text() == money_text(exp.total_pnl, signed=True)
        assert page.locator("#trade-count").inner_text() == str(len(exp.trades))
        assert page.locator("#win-rate").inner_text() == f"{100 * exp.wins / len(exp.trades):.1f}%"
        assert page.locator("#max-drawdown").inner_text() == money_text(exp.max_drawdown)
        assert page.locator("#total-fees").inner_text() == money_text(exp.total_fees)

        # charts: one bar per trading day, one equity line
        bars = page.locator("#daily-chart svg rect")
        assert bars.count() == len(exp.per_day)
        assert page.locator("#equity-chart svg polyline").count() == 1

        # trades: newest first, 25 a page, then the rest on the older page
        rows = page.locator("#trades-table tbody tr")
        assert rows.count() == min(25, len(exp.trades))
        newest = max(exp.trades, key=lambda t: (t["entry_time"], t["symbol"]))
        assert rows.nth(0).locator("td").nth(1).inner_text() == newest["symbol"]
        assert f"of {len(exp.trades)}" in page.locator("#page-info").inner_text()
        page.click("#next-page")
        page.wait_for_function(
            f"document.querySelectorAll('#trades-table tbody tr').length === {len(exp.trades) - 25}"
        )
        assert page.locator("#next-page").is_disabled()

        # open position, latest analysis with multipliers and reasoning, the day's bias
        pos = page.locator("#positions-table tbody tr")
        assert pos.count() == 1 and "TSLA" in pos.nth(0).inner_text()
        assert page.locator("#total-unrealized").inner_text() == "+$12.25"
        assert page.locator("#analysis-assessment").inner_text() == "bullish"
        assert page.locator("#mult-mr-arm").inner_text() == "×1.20"
        assert page.locator("#mult-tc-trigger").inner_text() == "×0.95"
        assert "Breadth strong" in page.locator("#analysis-reasoning").inner_text()
        assert page.locator("#bias-date").inner_text() == exp.last_day.isoformat()
        bias_rows = page.locator("#bias-table tbody tr")
        assert bias_rows.count() == 2
        assert "bullish" in page.locator("#bias-table").inner_text()
        page.close()


def test_page_reports_an_unreachable_api(
    browser: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    url, _ = seeded_sqlite(tmp_path_factory.mktemp("pagedb2"))
    with running(url, datetime(2024, 3, 8, 21, 0, tzinfo=UTC)) as servers:
        page = browser.new_page()
        page.goto(f"{servers.web_url}/?api=http://127.0.0.1:9&end=2024-03-08")
        page.wait_for_selector("body[data-loaded='true']", timeout=15000)
        assert page.locator("#error").is_visible()
        assert page.locator("#health").inner_text() == "API unreachable"
        page.close()


def test_page_picks_a_run_and_sends_the_key(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Default view = the local day; picking the replay changes the headline; the key the
    local server hands the page (config.js) goes out as x-api-key on every call."""
    from .test_runs import LOCAL, NOW, REPLAY, fill

    db = tmp_path_factory.mktemp("runsdb") / "runs.sqlite3"
    url = f"sqlite:///{db}"
    fill(url)
    with running(url, NOW, api_key="page-key") as servers:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        keys: list[str | None] = []
        page.on(
            "request",
            lambda r: keys.append(r.headers.get("x-api-key")) if "/api/" in r.url else None,
        )
        page.goto(f"{servers.web_url}/")
        page.wait_for_selector("body[data-loaded='true']", timeout=15000)
        assert page.locator("#error").is_hidden()
        assert page.locator("#run-id").inner_text() == LOCAL
        assert page.locator("#total-pnl").inner_text() == money_text(Decimal("-25"), signed=True)
        assert keys and all(k == "page-key" for k in keys)

        page.select_option("#run", REPLAY)
        page.wait_for_function(f"document.body.dataset.run === '{REPLAY}'")
        page.wait_for_selector("body[data-loaded='true']", timeout=15000)
        assert page.locator("#total-pnl").inner_text() == money_text(Decimal("300"), signed=True)
        assert page.locator("#run-kind").inner_text() == "replay"
        assert f"run={REPLAY}" in page.url
        page.close()

        # ?run= in the address is honoured
        page = browser.new_page()
        page.goto(f"{servers.web_url}/?run={REPLAY}")
        page.wait_for_selector("body[data-loaded='true']", timeout=15000)
        assert page.locator("#trade-count").inner_text() == "3"
        page.close()


def test_page_says_when_the_key_is_missing(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from .test_runs import NOW, fill

    db = tmp_path_factory.mktemp("keydb") / "runs.sqlite3"
    url = f"sqlite:///{db}"
    fill(url)
    with running(url, NOW, api_key="right") as servers:
        page = browser.new_page()
        # the page from web/ with the committed config.js (empty key) against a keyed API
        page.route(
            "**/config.js",
            lambda route: route.fulfill(
                content_type="text/javascript",
                body=f'window.ADVISOR_CONFIG = {{"api": "{servers.api_url}", "apiKey": ""}};',
            ),
        )
        page.goto(f"{servers.web_url}/")
        page.wait_for_selector("body[data-loaded='true']", timeout=15000)
        assert page.locator("#error").is_visible()
        assert "needs a key" in page.locator("#error").inner_text()
        assert page.locator("#health").inner_text() == "API key refused"
        page.close()
