"""The page's "Daily truth report" section (web/truth.js) in headless Chromium: for the run
and session shown, a green "identical" badge; a diverged day's badge with its divergences
(kind, symbol, New York time, cause, detail) in a table; the empty state naming the command
that writes a missing report; and the cumulative entry slippage drawn over the reported days
up to the session. Truth rows are written with ``truth.store.TruthStore`` as the 16:45
Lambda and ``truth --date`` do."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from llm_advisor.storage import RunRecord, open_repository
from llm_advisor.truth.records import Divergence, TruthReport
from llm_advisor.truth.store import TruthStore

from .dbs import seeded_sqlite
from .pagetools import Page, axe_violations, column, no_page_overflow
from .servers import running

CHROMIUM = "/usr/bin/chromium"
NOW = datetime(2024, 4, 15, 14, 0, tzinfo=UTC)
REPLAY = "replay-truth01"
IDENTICAL_DAY = date(2024, 3, 8)  # the demo's last session: the page opens on it
DIVERGED_DAY = date(2024, 3, 6)
UNREPORTED_DAY = date(2024, 3, 7)
# (day, slippage USD); cumulative: 1.50, 3.75, 3.25
SLIPPAGE = ((date(2024, 3, 5), "1.50"), (DIVERGED_DAY, "2.25"), (IDENTICAL_DAY, "-0.50"))
DIVERGENCES = [
    Divergence(
        "partial_fill",
        "AAPL",
        datetime(2024, 3, 6, 15, 40, tzinfo=UTC),
        "partial_fill",
        "filled 5 of 10",
        "c-aapl",
    ),
    Divergence(
        "signal_missed",
        "NVDA",
        datetime(2024, 3, 6, 15, 26, tzinfo=UTC),
        "late_bar",
        "bar NVDA 15:26Z arrived after the tick",
        "c-nvda",
    ),
]
EARLIER = [("2024-03-05", "1.50"), ("2024-03-06", "3.75")]  # (date, cumulative) to 3/6
RED = "rgb(239, 91, 91)"
GREEN = "rgb(62, 201, 122)"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not found"),
]


def _report(day: date, slip: str) -> TruthReport:
    divs = DIVERGENCES if day == DIVERGED_DAY else []
    missed = sum(d.kind == "signal_missed" for d in divs)
    return TruthReport(
        run_id="live",
        day=day,
        verdict="diverged" if divs else "identical",
        divergences=divs,
        counts={
            "signals_matched": 4,
            "signals_missed": missed,
            "signals_extra": 0,
            "entries_matched": 3,
            "partial_fills": len(divs) - missed,
            "divergences": len(divs),
        },
        pnl_live=Decimal("10.5"),
        pnl_model=Decimal("12"),
        pnl_split={"slippage": Decimal("-1.5"), "other": Decimal(0)},
        slippage_usd=Decimal(slip),
        slippage_bps=2.5,
        start_equity=Decimal("100000"),
    )


@pytest.fixture(scope="module")
def truth_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo portfolio (the account's run "live") with three reported days (3/7 not
    reported), and a replay run without any report."""
    url, _ = seeded_sqlite(tmp_path_factory.mktemp("truthdb"))
    repo = open_repository(url)
    try:
        repo.ensure_run("live", "paper", "Alpaca paper account", datetime(2024, 3, 1, tzinfo=UTC))
        repo.save_run(
            RunRecord(
                run_id=REPLAY,
                mode="replay",
                kind="replay",
                label="replay February",
                start_date=date(2024, 2, 20),
                end_date=date(2024, 2, 21),
                symbols=["AAPL"],
                created_at=datetime(2024, 3, 9, tzinfo=UTC),
            )
        )
        store = TruthStore(repo)
        for day, slip in SLIPPAGE:
            store.save(_report(day, slip), datetime.combine(day, time(21, 45), UTC))
    finally:
        repo.close()
    return url


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


@pytest.fixture(scope="module")
def servers(truth_db: str) -> Iterator[Any]:
    with running(truth_db, NOW) as s:
        yield s


def dots(page: Any) -> list[tuple[str, str]]:
    """(date, cumulative USD) of each point of the slippage chart."""
    found = page.evaluate(
        """() => [...document.querySelectorAll("#truth-chart circle")]
          .map((c) => [c.dataset.date, c.dataset.cumulative])"""
    )
    return [(d, c) for d, c in found]


def badge(page: Any) -> tuple[str, str]:
    b = page.locator("#truth-verdict")
    return b.inner_text(), b.evaluate("e => getComputedStyle(e).color")


def show_session(page: Any, day: date) -> None:
    """Set the page's session date as a trader does (the features form's Show)."""
    page.fill("#feat-date", day.isoformat())
    page.click("#features-form button[type='submit']")
    page.wait_for_function(
        "d => document.getElementById('truth-info').textContent.startsWith(d)",
        arg=day.isoformat(),
    )


@pytest.mark.parametrize("width", (375, 1280))
def test_truth_section(browser: Any, servers: Any, width: int) -> None:
    p = Page(browser, width, NOW)
    try:
        page = p.open(f"{servers.web_url}/")
        section = page.locator("#truth-panel")
        assert section.locator("h2").inner_text().startswith("Daily truth report")

        # the session the page opens on: identical, green, no divergence table
        assert page.locator("#truth-info").inner_text() == f"{IDENTICAL_DAY} · live"
        assert badge(page) == ("identical", GREEN)
        assert section.get_attribute("data-verdict") == "identical"
        assert page.locator("#truth-divergences").is_hidden()
        assert page.locator("#truth-empty").is_hidden()
        summary = page.locator("#truth-summary").inner_text()
        assert "P/L live +$10.50 · model +$12.00" in summary
        assert "entry slippage -$0.50 (+2.5 bps)" in summary
        assert "reported 2024-03-08 16:45 ET" in summary  # 21:45Z, EST
        assert dots(page) == [*EARLIER, (str(IDENTICAL_DAY), "3.25")]
        assert page.locator("#truth-chart polyline.slip-line").count() == 1
        assert page.locator("#truth-chart circle.slip-shown").get_attribute("data-date") == str(
            IDENTICAL_DAY
        )
        assert "3 reported days" in (page.locator("#truth-chart").get_attribute("aria-label") or "")

        # a diverged session: red badge with the count, both divergences with their causes
        show_session(page, DIVERGED_DAY)
        assert badge(page) == ("diverged · 2 divergences", RED)
        assert page.locator("#truth-divergences").is_visible()
        assert page.locator("#truth-table th[aria-sort]").get_attribute("data-key") == "time"
        assert column(page, "truth-table", "kind") == ["signal_missed", "partial_fill"]
        assert column(page, "truth-table", "symbol") == ["NVDA", "AAPL"]
        assert column(page, "truth-table", "time") == ["10:26 ET", "10:40 ET"]  # EST
        assert column(page, "truth-table", "cause") == ["late_bar", "partial_fill"]
        assert column(page, "truth-table", "detail")[1] == "filled 5 of 10"
        first = page.locator("#truth-table tbody tr").first.locator("time")
        assert first.get_attribute("title") == "2024-03-06T15:26:00Z"
        counts = page.locator("#truth-counts").inner_text()
        assert "1 missed by live" in counts and "1 partial fill" in counts
        # the history stops at the session shown
        assert dots(page) == EARLIER
        no_page_overflow(page)
        assert axe_violations(page) == []
        # execution-only differences are amber, not red
        amber = page.evaluate(
            "truthLevel({verdict: 'diverged', divergences: [{kind: 'slippage', cause: 'fees'}]})"
        )
        assert amber == "amber"

        # a session without a report: the empty state and the command; history still drawn
        show_session(page, UNREPORTED_DAY)
        empty = page.locator("#truth-empty")
        assert empty.is_visible()
        assert empty.inner_text() == (
            "No truth report for this day yet — it runs after the close, or "
            f"python -m llm_advisor truth --date {UNREPORTED_DAY}"
        )
        assert page.locator("#truth-divergences").is_hidden()
        assert page.locator("#truth-verdict").inner_text() == "no report"
        assert dots(page) == EARLIER

        # another run: its own (missing) report, the command names the run
        page.select_option("#run", REPLAY)
        page.wait_for_function(f"document.body.dataset.run === '{REPLAY}'")
        p.loaded()
        assert page.locator("#truth-info").inner_text() == f"2024-02-21 · {REPLAY}"
        assert page.locator("#truth-empty code").inner_text() == (
            f"python -m llm_advisor truth --date 2024-02-21 --run {REPLAY}"
        )
        assert page.locator("#truth-history").is_hidden()  # nothing reported: no chart
        assert page.locator("#error").is_hidden()
        assert p.errors == []
    finally:
        p.close()
