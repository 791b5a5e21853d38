"""The bias model's features of one date are the same whichever path built them: training's
builder on the daily files, or the deployed premarket job with the market data port (daily
bars shaped like Alpaca's) and the VIX from CBOE's CSV (a stand-in serving the same file)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from llm_advisor.aws.premarket_job import PremarketJobDeps, build_context
from llm_advisor.core.config import StrategyConfig
from llm_advisor.premarket.bias.features import FEATURES, feature_matrix
from llm_advisor.premarket.bias.model import BiasModel, BiasPrediction
from llm_advisor.premarket.bias.train import build_dataset
from llm_advisor.premarket.volatility import CsvVixSource

from .standin_ports import AlpacaLikeBars, cboe_csv

DAY = date(2026, 3, 16)
PREV = pd.Timestamp("2026-03-13")


class RecordingModel:
    """The real model, keeping every feature row it is asked about."""

    def __init__(self, model: BiasModel) -> None:
        self.model = model
        self.version = model.version
        self.rows: list[npt.NDArray[np.float64]] = []

    def predict_one(self, row: npt.NDArray[np.float64]) -> BiasPrediction:
        self.rows.append(np.array(row, dtype=np.float64))
        return self.model.predict_one(row)


def _training_row(real_daily: dict[str, pd.DataFrame], sym: str) -> npt.NDArray[np.float64]:
    data = build_dataset({k: real_daily[k] for k in {sym, "SPY", "VIX"}})
    row = data[(data["symbol"] == sym) & (data["date"] == PREV)]
    assert len(row) == 1
    return feature_matrix(row)[0]


def _production_rows(
    real_bars: dict[str, pd.DataFrame],
    real_daily: dict[str, pd.DataFrame],
    model: BiasModel,
    sym: str,
    daily_days: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], Any]:
    csv = cboe_csv(real_daily["VIX"])
    rec = RecordingModel(model)
    deps = PremarketJobDeps(
        config=StrategyConfig(),
        symbols=[sym],
        market_data=AlpacaLikeBars(real_bars, {k: v for k, v in real_daily.items() if k != "VIX"}),
        archive=None,
        records=None,
        bias_model=rec,
        daily_days=daily_days,
        vix_source=CsvVixSource("https://cboe.test/VIX_History.csv", fetch=lambda u, t: csv),
    )
    ctx = build_context(DAY, deps)
    assert ctx.market_context.vix_source == "cboe"
    assert len(rec.rows) == 2  # the symbol, then the market (SPY)
    return rec.rows[0], rec.rows[1], ctx


@pytest.mark.parametrize("sym", ["NVDA", "QQQ"])
def test_production_features_equal_training_features(real_bars, real_daily, model, sym):
    """Given the same history the rows are identical, VIX features included."""
    prod, market, ctx = _production_rows(real_bars, real_daily, model, sym, daily_days=20_000)
    train = _training_row(real_daily, sym)
    assert np.isfinite(train).all()
    np.testing.assert_array_equal(prod, train)
    np.testing.assert_array_equal(market, _training_row(real_daily, "SPY"))
    assert ctx.symbols[sym].bias.probabilities == model.predict_one(train).probabilities


def test_the_deployed_history_window_changes_nothing_that_matters(real_bars, real_daily, model):
    """The job fetches 400 calendar days, not since 1993: the exponential averages (ATR, EMA,
    RSI) start later, which moves the features by far less than any model resolution."""
    prod, _market, ctx = _production_rows(real_bars, real_daily, model, "NVDA", daily_days=400)
    train = _training_row(real_daily, "NVDA")
    np.testing.assert_allclose(prod, train, rtol=1e-6, atol=1e-9)
    vix = [FEATURES.index("vix_log"), FEATURES.index("vix_chg_5")]
    np.testing.assert_array_equal(prod[vix], train[vix])
    assert ctx.symbols["NVDA"].bias.bias == model.predict_one(train).bias
