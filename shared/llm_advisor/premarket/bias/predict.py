"""Today's bias for one symbol from daily bars strictly before the session."""

from __future__ import annotations

from datetime import date

import pandas as pd

from llm_advisor.premarket.bias.features import MIN_HISTORY, compute_features, feature_matrix
from llm_advisor.premarket.bias.model import BiasModel, BiasPrediction


class BiasUnavailableError(ValueError):
    """Not enough (or stale) daily history: the symbol gets no bias, with this reason."""


def _before(df: pd.DataFrame | None, day: date) -> pd.DataFrame | None:
    if df is None:
        return None
    idx = pd.DatetimeIndex(pd.to_datetime(df.index if "date" not in df.columns else df["date"]))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    keep = idx.normalize() < pd.Timestamp(day)
    return df.loc[keep]


def predict_bias(
    model: BiasModel,
    day: date,
    previous_session: date,
    daily: pd.DataFrame,
    spy: pd.DataFrame | None = None,
    vix: pd.DataFrame | None = None,
) -> BiasPrediction:
    """Predict session ``day`` from rows dated before it; the last row must be the previous
    session, otherwise the prediction would silently use a stale close."""
    hist = _before(daily, day)
    assert hist is not None
    if len(hist) <= MIN_HISTORY:
        raise BiasUnavailableError(
            f"{len(hist)} daily bars before {day.isoformat()}, need more than {MIN_HISTORY}"
        )
    feats = compute_features(hist, _before(spy, day), _before(vix, day))
    last = feats.index[-1].date()
    if last != previous_session:
        raise BiasUnavailableError(
            f"daily bars end {last.isoformat()}, previous session is {previous_session.isoformat()}"
        )
    return model.predict_one(feature_matrix(feats.iloc[[-1]])[0])
