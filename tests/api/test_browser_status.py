"""The page's live status strip in headless Chromium: green while the tick is fresh, red
with its reason when the last tick is more than 3 minutes old in session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from llm_advisor.notify.store import LoopStatusStore
from llm_advisor.storage import open_repository

from .dbs import seeded_sqlite
from .servers import running

CHROMIUM = "/usr/bin/chromium"
NOW = datetime(2024, 3, 8, 15, 0, tzinfo=UTC)  # 10:00 New York, in session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not found"),
]


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


def beat(url: str, tick_age: timedelta) -> None:
    repo = open_repository(url).scoped("live")
    try:
        repo.ensure_run("live", "paper", "account", NOW - timedelta(days=30))
        store = LoopStatusStore.of(repo)
        store.beat(
            "tick",
            NOW - tick_age,
            True,
            {"status": "stepped", "session_day": "2024-03-08", "minutes": 1, "duration_ms": 900,
             "engine": {"symbols": 5, "armed": 2, "in_position": 1}},
        )  # fmt: skip
        monitor = {"status": "reconciled", "equity": "100500.00", "kill_switch": False}
        store.beat("monitor", NOW, True, monitor | {"queue_depth": 0, "dlq_depth": 0})
    finally:
        repo.close()


@pytest.mark.parametrize(
    ("age", "level", "reason"),
    [(timedelta(minutes=1), "green", ""), (timedelta(minutes=7), "red", "no successful tick")],
)
def test_status_strip_colour(
    browser: Any,
    tmp_path_factory: pytest.TempPathFactory,
    age: timedelta,
    level: str,
    reason: str,
) -> None:
    url, _exp = seeded_sqlite(tmp_path_factory.mktemp("statusdb"))
    beat(url, age)
    with running(url, NOW) as servers:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{servers.web_url}/?api={servers.api_url}")
        page.wait_for_selector(f"#status-strip[data-level='{level}']", timeout=15000)
        assert errors == []
        strip = page.locator("#status-strip")
        assert page.locator("#status-level").inner_text() == level.upper()
        text = strip.inner_text()
        assert "2 armed · 1 in position" in text and "equity 100500.00" in text
        assert reason in page.locator("#status-reasons").inner_text()
        colour = strip.evaluate("e => getComputedStyle(e).borderLeftColor")
        assert colour == ("rgb(239, 91, 91)" if level == "red" else "rgb(62, 201, 122)")
