"""A small synthetic bar store (3 symbols, 6 sessions + history) shared by the sweep tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from llm_advisor.sweep import data as sweep_data
from llm_advisor.sweep.data import DataSpec
from llm_advisor.sweep.local_map import synthetic_store

SYMBOLS = ["SPY", "QQQ", "NVDA"]


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> DataSpec:
    d = tmp_path_factory.mktemp("bars")
    start, end = synthetic_store(d, SYMBOLS, date(2024, 3, 4), 6, seed=11)
    return DataSpec(str(d), start, end)


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test loads its bars afresh (the product caches them for the process's life)."""
    monkeypatch.setattr(sweep_data, "_CACHE", {})


def bars_dir(spec: DataSpec) -> Path:
    return Path(spec.bars)
