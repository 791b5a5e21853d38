"""Premarket figures: one context on real data, and bias inference latency."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def run() -> list[str]:
    from llm_advisor.data.barfiles import BarDirectory
    from llm_advisor.premarket.bias.model import load_bias_model
    from llm_advisor.premarket.news.files import read_news_csv
    from llm_advisor.premarket.pipeline import build_premarket_context

    model = load_bias_model()
    x = np.random.default_rng(1).normal(size=(10_000, len(model.features)))
    t = time.perf_counter()
    model.predict_proba(x)
    lines = [f"premarket: bias inference {10_000 / (time.perf_counter() - t):,.0f} rows/s"]
    if not (SHARED / "bars_1m").is_dir():
        return [*lines, "premarket: ../shared/data absent, context timing skipped"]
    syms = ["SPY", "QQQ", "NVDA"]
    b, d = BarDirectory(SHARED / "bars_1m"), BarDirectory(SHARED / "daily")
    bars = {s: b.load(s) for s in syms}
    daily = {s: d.load(s) for s in [*syms, "VIX"]}
    news = read_news_csv(SHARED / "news" / "headlines.csv.gz")
    t = time.perf_counter()
    build_premarket_context(date(2026, 3, 16), syms, bars, daily, news, model)
    ms = (time.perf_counter() - t) * 1000
    return [*lines, f"premarket: context for 3 symbols (files loaded) {ms:.0f} ms"]
