"""The page charts one symbol's z against its thresholds from ``GET /api/features`` (headless
Chromium, the API on another origin, the per-minute log written through the repository)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from llm_advisor.live.engine import MinuteFeatures
from llm_advisor.storage import open_repository

from .dbs import seeded_sqlite
from .servers import running

CHROMIUM = "/usr/bin/chromium"
OPEN = datetime(2024, 3, 8, 14, 30, tzinfo=UTC)  # the seeded data's last session, 09:30 NY
MINUTES = 30

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} not found (Debian: apt-get install -y chromium)",
    ),
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


def _minute(i: int) -> MinuteFeatures:
    z = math.nan if i < 2 else 2.5 * math.sin(i / 4)  # undefined at first: a gap in the line
    return MinuteFeatures(
        OPEN + timedelta(minutes=i),
        ("QQQ", "SPY"),
        np.array([0, 1]),
        np.array([400.0, 500.0 + i / 10]),
        np.array([0.1, z]),
        np.array([400.0, 500.0]),
        np.array([1.0, 1.0]),
        np.array([0.5, 0.5]),
        np.array([0, 1 if abs(z) >= 2 else 0]),
        np.array([0, 0]),
        np.array([[2.0, 2.0], [0.5, 0.5], [2.5, 2.5], [0.75, 0.75]]),
    )


def test_page_draws_z_with_the_thresholds(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url, exp = seeded_sqlite(tmp_path_factory.mktemp("featdb"))
    repo = open_repository(url)
    try:
        repo.save_minute_log([_minute(i) for i in range(MINUTES)])
    finally:
        repo.close()
    with running(url, datetime(2024, 3, 8, 21, 0, tzinfo=UTC)) as servers:
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{servers.web_url}/?api={servers.api_url}&symbol=SPY")
        page.wait_for_selector("body[data-loaded='true']", timeout=15000)
        assert errors == []
        assert page.locator("#error").is_hidden()
        assert page.locator("#feat-date").input_value() == exp.last_day.isoformat()
        z = page.locator("#features-chart svg polyline[data-series='z']")
        assert z.count() == 1  # the two undefined minutes are left out, not drawn as 0
        assert len(z.get_attribute("points").split()) == MINUTES - 2
        for key in ("mr_arm_z", "mr_trigger_z", "tc_arm_z", "tc_trigger_z"):
            for sign in "+-":
                line = page.locator(f"#features-chart svg polyline[data-series='{sign}{key}']")
                assert len(line.get_attribute("points").split()) == MINUTES
        assert "SPY" in page.locator("#features-info").inner_text()
        assert f"{MINUTES} minutes" in page.locator("#features-info").inner_text()

        # another symbol with nothing logged that day: a message, no error
        page.fill("#feat-symbol", "iwm")
        page.click("#features-form button")
        page.wait_for_function(
            "document.querySelector('#features-info').textContent.startsWith('IWM')"
        )
        assert page.locator("#features-chart svg polyline").count() == 0
        assert "no minutes logged" in page.locator("#features-chart").inner_text()
        assert errors == []
        page.close()
