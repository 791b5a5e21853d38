"""Fixtures for the live-bar tests: synthetic sessions and a fresh tick set-up."""

from __future__ import annotations

import pandas as pd
import pytest

from .support import synthetic_frames


@pytest.fixture(scope="session")
def frames() -> dict[str, pd.DataFrame]:
    return synthetic_frames()
