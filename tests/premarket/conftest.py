"""Fixtures of the premarket tests: real files loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from llm_advisor.data.barfiles import BarDirectory
from llm_advisor.premarket.bias.model import BiasModel, load_bias_model
from llm_advisor.premarket.news.files import read_news_csv
from llm_advisor.premarket.news.models import NewsItem

COVERED_SYMBOLS = ("SPY", "QQQ", "NVDA")


@pytest.fixture(scope="session")
def real_bars(shared_data: Path) -> dict[str, pd.DataFrame]:
    d = BarDirectory(shared_data / "bars_1m")
    return {s: d.load(s) for s in COVERED_SYMBOLS}


@pytest.fixture(scope="session")
def real_daily(shared_data: Path) -> dict[str, pd.DataFrame]:
    d = BarDirectory(shared_data / "daily")
    return {s: d.load(s) for s in (*COVERED_SYMBOLS, "VIX")}


@pytest.fixture(scope="session")
def real_news(shared_data: Path) -> list[NewsItem]:
    return read_news_csv(shared_data / "news" / "headlines.csv.gz")


@pytest.fixture(scope="session")
def model() -> BiasModel:
    return load_bias_model()
