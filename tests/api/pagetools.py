"""Playwright helpers for the page tests (test_browser_page.py): a browser context at one
width, screenshot baselines compared as a share of differing pixels (decoded by Chromium's
own canvas, so no imaging package is needed), the axe-core check, table readers."""

from __future__ import annotations

import base64
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
AXE = HERE / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = HERE / "screenshots"
# Share of pixels allowed to differ (a channel off by more than PIXEL_DELTA): fonts and
# anti-aliasing may move a little between Chromium builds; a layout change moves far more.
TOLERANCE = 0.01
PIXEL_DELTA = 40


class Page:
    """One browser context at one width, with the page's errors collected."""

    def __init__(self, browser: Any, width: int, now: datetime) -> None:
        # A zone far from New York: the page must not depend on the browser's own zone.
        self.ctx = browser.new_context(
            viewport={"width": width, "height": 900},
            device_scale_factor=1,
            timezone_id="Asia/Tokyo",
            locale="en-US",
            reduced_motion="reduce",
        )
        self.ctx.clock.set_fixed_time(now)
        self.page = self.ctx.new_page()
        self.width = width
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, url: str) -> Any:
        self.page.goto(url)
        self.loaded()
        return self.page

    def loaded(self) -> None:
        self.page.wait_for_selector("body[data-loaded='true']", timeout=15000)

    def close(self) -> None:
        self.ctx.close()


class Shots:
    """Compare screenshots with tests/api/screenshots/*.png; write the missing ones."""

    def __init__(self, browser: Any, out: Path) -> None:
        self.browser = browser
        self.out = out
        self.written: list[str] = []
        self.update = os.environ.get("UPDATE_SCREENSHOTS") == "1"

    def check(self, page: Any, name: str, selector: str | None = "main") -> None:
        """``selector``: the element to capture (``main``: the content, whatever the header
        holds); None: the viewport, with the live status strip (status.js) masked."""
        page.evaluate("document.activeElement && document.activeElement.blur()")
        opts = {"animations": "disabled", "caret": "hide"}
        if selector is None:
            png = page.screenshot(mask=[page.locator("#status-strip")], **opts)
        else:
            png = page.locator(selector).screenshot(**opts)
        base = SHOTS / f"{name}.png"
        if self.update or not base.exists():
            SHOTS.mkdir(parents=True, exist_ok=True)
            base.write_bytes(png)
            self.written.append(str(base.relative_to(HERE.parents[1])))
            return
        ratio, detail = self.diff(base.read_bytes(), png)
        if ratio > TOLERANCE:
            actual = self.out / f"{name}.actual.png"
            actual.write_bytes(png)
            pytest.fail(
                f"screenshot {name}: {ratio:.2%} of pixels differ (> {TOLERANCE:.0%}){detail}; "
                f"now: {actual}; baseline: {base} (UPDATE_SCREENSHOTS=1 rewrites it)"
            )

    def diff(self, a: bytes, b: bytes) -> tuple[float, str]:
        """Share of pixels whose colour moved by more than PIXEL_DELTA in some channel,
        decoded by Chromium (canvas) so no imaging package is needed."""
        page = self.browser.new_page()
        try:
            res = page.evaluate(
                """async ([a, b, delta]) => {
                  const load = async (b64) => {
                    const img = new Image();
                    img.src = "data:image/png;base64," + b64;
                    await img.decode();
                    const c = document.createElement("canvas");
                    c.width = img.naturalWidth; c.height = img.naturalHeight;
                    const ctx = c.getContext("2d");
                    ctx.drawImage(img, 0, 0);
                    const d = ctx.getImageData(0, 0, c.width, c.height).data;
                    return { w: c.width, h: c.height, d };
                  };
                  const x = await load(a), y = await load(b);
                  if (x.w !== y.w || x.h !== y.h) return { ratio: 1, size: [x.w, x.h, y.w, y.h] };
                  let n = 0;
                  for (let i = 0; i < x.d.length; i += 4) {
                    const off = (k) => Math.abs(x.d[i + k] - y.d[i + k]) > delta;
                    if (off(0) || off(1) || off(2)) n++;
                  }
                  return { ratio: n / (x.w * x.h), size: null };
                }""",
                [base64.b64encode(a).decode(), base64.b64encode(b).decode(), PIXEL_DELTA],
            )
        finally:
            page.close()
        size = res["size"]
        detail = f" (size {size[0]}x{size[1]} was, {size[2]}x{size[3]} now)" if size else ""
        return float(res["ratio"]), detail

    def finish(self) -> None:
        if self.written:
            pytest.skip(
                "baseline screenshot(s) written, commit them and run again: "
                + ", ".join(self.written)
            )


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the page as shown (WCAG 2 A/AA rules,
    colour contrast included)."""
    if not AXE.exists():
        msg = f"{AXE} missing: run `make browser-deps` (npm install into tests/api/browser)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
          const r = await axe.run(document, {
            runOnly: {
              type: "tag",
              values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
            },
            resultTypes: ["violations"],
          });
          return r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + n.failureSummary),
          }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -- {' | '.join(v['nodes'])}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def no_page_overflow(page: Any) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    culprits = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
          .filter((e) => !e.closest(".table-wrap"))
          .slice(0, 5).map((e) => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className)"""
    )
    assert wide <= 0, f"the page is {wide}px wider than the viewport: {culprits}"


def column(page: Any, table: str, key: str) -> list[str]:
    """The texts of one column (by data-key) of a table's shown rows."""
    return list(
        page.evaluate(
            """([table, key]) => {
              const t = document.getElementById(table);
              const i = [...t.tHead.rows[0].cells].findIndex((th) => th.dataset.key === key);
              return [...t.tBodies[0].rows].map((r) => r.cells[i].textContent.trim());
            }""",
            [table, key],
        )
    )


def sorted_by(page: Any, table: str) -> tuple[str | None, str | None]:
    marked = page.locator(f"#{table} th[aria-sort]")
    assert marked.count() == 1, f"{table}: exactly one heading must carry aria-sort"
    return marked.get_attribute("data-key"), marked.get_attribute("aria-sort")


def money(s: str) -> Decimal:
    return Decimal(s.replace("$", "").replace(",", "").replace("+", ""))
