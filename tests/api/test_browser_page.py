"""The page a trader keeps open, driven in headless Chromium at a phone's and a desktop's
width: New York times with the UTC instant as tooltip, the latest session with data (not
today), sortable tables whose marked heading is their order, the symbol filter, the signals
table (accepted and rejected, with reasons and thresholds), the run picker, a clear message
when the API does not answer or refuses the key, no horizontal page overflow at 375 px, no
serious or critical axe-core violations, and screenshots compared with stored baselines.

Screenshots: ``tests/api/screenshots/<name>.png``. A missing baseline is written and the
test skips saying so (commit the file); ``UPDATE_SCREENSHOTS=1`` rewrites them all. The PNGs
are decoded by the browser itself (canvas), so no imaging package is needed.
axe-core: ``make browser-deps`` (``npm install`` into ``tests/api/browser``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from llm_advisor.storage import RunRecord, open_repository

from .dbs import seeded_sqlite
from .pagetools import Page, Shots, axe_violations, column, money, no_page_overflow, sorted_by
from .seed import Expected
from .servers import running
from .test_browser_features import MINUTES
from .test_browser_features import _minute as logged_minute

CHROMIUM = "/usr/bin/chromium"
NY = ZoneInfo("America/New_York")
# "Today" for the API and the browser: five weeks after the data's last session, so a page
# that opened on today would show nothing.
NOW = datetime(2024, 4, 15, 14, 0, tzinfo=UTC)
REPLAY = "replay-page01"
REPLAY_DAYS = (date(2024, 2, 20), date(2024, 2, 21))
WIDTHS = (375, 1280)
REJECTS = (
    ("NVDA", "max_positions", 15, 2),
    ("SPY", "daily_risk", 16, 20),
    ("QQQ", "size_zero", 17, 5),
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} not found (Debian: apt-get install -y chromium)",
    ),
]


def et(iso_or_dt: datetime) -> str:
    """What the page prints for an instant (format.js fmtET)."""
    return iso_or_dt.astimezone(NY).strftime("%Y-%m-%d %H:%M ET")


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rejected(day: date) -> list[dict[str, Any]]:
    out = []
    for sym, reason, hour, minute in REJECTS:
        t = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
        out.append(
            {
                "signal_time": t,
                "symbol": sym,
                "setup": "TC",
                "side": "long",
                "status": "rejected",
                "reject_reason": reason,
                "z": 2.61,
                "ref_price": Decimal("250.00"),
                "qty": 0,
                "equity": Decimal("100000"),
                "mr_arm_z": 2.2,
                "mr_trigger_z": 1.6,
                "tc_arm_z": 2.75,
                "tc_trigger_z": 2.1,
                "mult_mr_arm": 1.1,
                "mult_mr_trigger": 1.07,
                "mult_tc_arm": 1.1,
                "mult_tc_trigger": 1.05,
                "client_order_id": f"rej-{sym}-{hour}{minute:02d}",
            }
        )
    return out


def _replay_trades() -> list[dict[str, Any]]:
    out = []
    for i, day in enumerate(REPLAY_DAYS):
        entry = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
        out.append(
            {
                "symbol": "AAPL",
                "setup": "MR",
                "side": "long",
                "signal_time": entry - timedelta(minutes=1),
                "entry_time": entry,
                "entry_price": Decimal("180"),
                "exit_time": entry + timedelta(minutes=20),
                "exit_price": Decimal("181"),
                "qty": 5,
                "exit_reason": "target",
                "pnl": Decimal("5"),
                "commission": Decimal("0"),
                "client_order_id": f"{REPLAY}-{i}",
            }
        )
    return out


@pytest.fixture(scope="module")
def page_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Expected]:
    """The demo portfolio (the account's run, listed as paper) with rejected signals and
    SPY's minute log on its last session, plus a two-day replay in February."""
    url, exp = seeded_sqlite(tmp_path_factory.mktemp("pagedb"))
    repo = open_repository(url)
    try:
        repo.ensure_run("live", "paper", "Alpaca paper account", datetime(2024, 3, 1, tzinfo=UTC))
        repo.save_signals(_rejected(exp.last_day))
        repo.save_minute_log([logged_minute(i) for i in range(MINUTES)])
        repo.save_run(
            RunRecord(
                run_id=REPLAY,
                mode="replay",
                kind="replay",
                label="replay February",
                start_date=REPLAY_DAYS[0],
                end_date=REPLAY_DAYS[-1],
                symbols=["AAPL"],
                created_at=datetime(2024, 3, 9, tzinfo=UTC),
            )
        )
        repo.scoped(REPLAY).save_trades(_replay_trades())
    finally:
        repo.close()
    return url, exp


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
def servers(page_db: tuple[str, Expected]) -> Iterator[Any]:
    with running(page_db[0], NOW) as s:
        yield s


# ------------------------------------------------------------------ tests


@pytest.mark.parametrize("width", WIDTHS)
def test_page_walkthrough(
    browser: Any,
    servers: Any,
    page_db: tuple[str, Expected],
    width: int,
    tmp_path: Path,
) -> None:
    _, exp = page_db
    shots = Shots(browser, tmp_path)
    p = Page(browser, width, NOW)
    try:
        page = p.open(f"{servers.web_url}/")

        # the latest session with data, not today (2024-04-15)
        assert page.locator("#end").input_value() == exp.last_day.isoformat()
        assert page.locator("#feat-date").input_value() == exp.last_day.isoformat()
        assert page.locator("#error").is_hidden()
        assert page.locator("#run").input_value() == "live"

        # trades: newest entry first under the heading marked so; New York times, UTC tooltip
        assert sorted_by(page, "trades-table") == ("entered", "descending")
        newest = sorted(exp.trades, key=lambda t: t["entry_time"], reverse=True)
        shown = column(page, "trades-table", "entered")
        assert shown == [et(t["entry_time"]) for t in newest[:25]]
        first = page.locator("#trades-table tbody tr").first.locator("time").first
        assert first.get_attribute("title") == iso(newest[0]["entry_time"])
        assert first.inner_text() == "2024-03-08 10:20 ET"  # 15:20Z, EST
        assert "UTC" not in page.locator("main").inner_text()
        summer = page.evaluate("fmtET('2024-07-01T13:30:00Z')")  # EDT: UTC-4
        assert summer == "2024-07-01 09:30 ET"

        # sorting: by P/L ascending, then descending; one heading marked, rows follow it
        page.click("#trades-table th[data-key='pnl'] button")
        assert sorted_by(page, "trades-table") == ("pnl", "ascending")
        pnls = [money(x) for x in column(page, "trades-table", "pnl")]
        assert pnls == sorted(t["pnl"] for t in exp.trades)[:25]
        page.click("#trades-table th[data-key='pnl'] button")
        assert sorted_by(page, "trades-table") == ("pnl", "descending")
        pnls = [money(x) for x in column(page, "trades-table", "pnl")]
        assert pnls == sorted((t["pnl"] for t in exp.trades), reverse=True)[:25]
        assert "by P/L, high to low" in page.locator("#page-info").inner_text()
        page.click("#next-page")  # the second page continues the same order
        rest = [money(x) for x in column(page, "trades-table", "pnl")]
        assert rest == sorted((t["pnl"] for t in exp.trades), reverse=True)[25:]
        page.click("#trades-table th[data-key='entered'] button")
        page.click("#trades-table th[data-key='entered'] button")
        assert sorted_by(page, "trades-table") == ("entered", "descending")

        # signals of the session: accepted and rejected, reasons, the setup's thresholds
        day_signals = [t for t in exp.trades if t["entry_time"].date() == exp.last_day]
        total = len(day_signals) + len(REJECTS)
        assert page.locator("#signals-table tbody tr").count() == total
        assert sorted_by(page, "signals-table") == ("time", "descending")
        times = column(page, "signals-table", "time")
        assert times[0] == "12:05 ET"  # the QQQ rejection at 17:05Z
        info = page.locator("#signals-info").inner_text()
        assert f"{len(day_signals)} accepted, {len(REJECTS)} rejected" in info
        page.select_option("#signal-status", "rejected")
        assert column(page, "signals-table", "status") == ["rejected"] * len(REJECTS)
        assert set(column(page, "signals-table", "reason")) == {r[1] for r in REJECTS}
        assert set(column(page, "signals-table", "arm")) == {"2.75"}  # TC: tc_arm_z
        assert set(column(page, "signals-table", "trigger")) == {"2.10"}
        page.select_option("#signal-status", "")

        no_page_overflow(page)
        assert p.errors == []
        shots.check(page, f"page-{width}")
        assert axe_violations(page) == []

        # the symbol filter: trades, signals, positions, the z chart (and the address)
        page.fill("#symbol", "spy")
        page.press("#symbol", "Enter")
        page.wait_for_function("new URL(location.href).searchParams.get('symbol') === 'SPY'")
        p.loaded()
        spy = [t for t in exp.trades if t["symbol"] == "SPY"]
        assert set(column(page, "trades-table", "symbol")) == {"SPY"}
        assert page.locator("#trades-table tbody tr").count() == len(spy)
        assert set(column(page, "signals-table", "symbol")) == {"SPY"}
        assert "daily_risk" in column(page, "signals-table", "reason")
        assert page.locator("#positions-table tbody tr").count() == 0  # TSLA is open
        assert page.locator("#positions-empty").inner_text() == "No open position in SPY."
        assert page.locator("#feat-symbol").input_value() == "SPY"
        z = page.locator("#features-chart svg polyline[data-series='z']")
        assert z.count() == 1
        assert page.locator("#features-chart svg text").last.text_content() == "09:59 ET"
        assert "SPY" in page.locator("#trades-range").inner_text()
        page.fill("#symbol", "tsla")
        page.press("#symbol", "Enter")
        page.wait_for_function("new URL(location.href).searchParams.get('symbol') === 'TSLA'")
        p.loaded()
        pos = page.locator("#positions-table tbody tr")
        assert pos.count() == 1
        assert column(page, "positions-table", "since") == ["2024-03-08 13:00 ET"]
        no_page_overflow(page)
        shots.check(page, f"page-tsla-{width}")

        # a bad symbol: one line naming it, nothing reloaded
        page.fill("#symbol", "sp y!")
        page.press("#symbol", "Enter")
        page.wait_for_selector("#error:not([hidden])")
        assert "symbol 'SP Y!'" in page.locator("#error").inner_text()
        page.fill("#symbol", "")
        page.press("#symbol", "Enter")
        page.wait_for_function("!new URL(location.href).searchParams.has('symbol')")
        p.loaded()
        assert page.locator("#trades-table").get_attribute("data-rows") == str(len(exp.trades))

        # the run picker: the replay's own last session, its trades only
        page.select_option("#run", REPLAY)
        page.wait_for_function(f"document.body.dataset.run === '{REPLAY}'")
        p.loaded()
        assert page.locator("#end").input_value() == REPLAY_DAYS[-1].isoformat()
        assert page.locator("#run-kind").inner_text() == "replay"
        assert column(page, "trades-table", "symbol") == ["AAPL", "AAPL"]
        assert page.locator("#signals-empty").is_visible()
        assert page.locator("#error").is_hidden()
        assert p.errors == []
    finally:
        p.close()
    shots.finish()


@pytest.mark.parametrize("width", WIDTHS)
def test_page_when_the_api_is_down(browser: Any, servers: Any, width: int, tmp_path: Path) -> None:
    shots = Shots(browser, tmp_path)
    p = Page(browser, width, NOW)
    try:
        down = "http://127.0.0.1:9"  # nothing listens on the discard port
        page = p.open(f"{servers.web_url}/?api={down}")
        text = page.locator("#error").inner_text()
        assert text == f"The API at {down} is not answering — is `make api` running?"
        assert "Failed to fetch" not in page.locator("body").inner_text()
        assert page.locator("#health").inner_text() == "API unreachable"
        no_page_overflow(page)
        assert p.errors == []
        shots.check(page, f"api-down-{width}", None)
        assert axe_violations(page) == []
    finally:
        p.close()
    shots.finish()


def test_page_when_the_key_is_wrong(browser: Any, page_db: tuple[str, Expected]) -> None:
    with running(page_db[0], NOW, api_key="right") as keyed:
        p = Page(browser, 1280, NOW)
        try:
            api = keyed.api_url
            p.page.route(
                "**/config.js",
                lambda route: route.fulfill(
                    content_type="text/javascript",
                    body=f'window.ADVISOR_CONFIG = {{"api": "{api}", "apiKey": "wrong"}};',
                ),
            )
            page = p.open(f"{keyed.web_url}/")
            lines = page.locator("#error").inner_text().splitlines()
            assert lines == ["The API refused the key in config.js (HTTP 403): check apiKey there."]
            assert page.locator("#health").inner_text() == "API key refused"
        finally:
            p.close()
