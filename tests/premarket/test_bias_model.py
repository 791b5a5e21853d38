"""The bias model: label rule, artifact, clean-environment loading, walk-forward hygiene."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llm_advisor.premarket.bias.features import FEATURES, compute_features
from llm_advisor.premarket.bias.labels import label_moves
from llm_advisor.premarket.bias.model import (
    DEFAULT_ARTIFACT,
    ArtifactError,
    BiasModel,
    load_bias_model,
)
from llm_advisor.premarket.bias.train import build_dataset, fit_temperature, walk_forward

SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_label_rule():
    r = np.array([0.3, 0.25, 0.249, 0.0, -0.249, -0.25, -2.0, np.nan])
    assert label_moves(r).tolist() == [2, 2, 1, 1, 1, 0, 0, -1]


def test_features_use_only_rows_up_to_their_date(real_daily):
    spy = real_daily["SPY"]
    full = compute_features(real_daily["NVDA"], spy, real_daily["VIX"])
    cut = pd.Timestamp("2026-03-13")
    part = compute_features(
        real_daily["NVDA"].loc[:cut], spy.loc[:cut], real_daily["VIX"].loc[:cut]
    )
    pd.testing.assert_frame_equal(full.loc[:cut, list(FEATURES)], part.loc[:, list(FEATURES)])


def test_artifact_loads_in_a_clean_interpreter_and_predicts_reproducibly():
    code = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(SHARED)!r})\n"
        "from llm_advisor.premarket.bias.model import load_bias_model\n"
        "m = load_bias_model()\n"
        "import numpy as np\n"
        "x = np.linspace(-2, 2, len(m.features) * 4).reshape(4, -1)\n"
        "mods = ('pandas', 'sklearn', 'pydantic', 'scipy')\n"
        "heavy = sorted(k for k in mods if k in sys.modules)\n"
        "print(json.dumps({'v': m.version, 'p': m.predict_proba(x).tolist(), 'heavy': heavy}))\n"
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-I", "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert runs[0]["heavy"] == []
    m = load_bias_model()
    x = np.linspace(-2, 2, len(m.features) * 4).reshape(4, -1)
    assert np.array_equal(np.array(runs[0]["p"]), m.predict_proba(x))
    assert runs[0]["v"] == m.version == f"bias-lr-v1-{m.fingerprint()}"


def test_artifact_is_consistent_and_calibrated_metadata():
    m = load_bias_model()
    assert m.features == FEATURES
    assert m.classes == ("bearish", "choppy", "bullish")
    ev = m.meta["evaluation"]
    assert ev["model"]["accuracy"] > 0 and ev["majority"]["accuracy"] > 0
    assert 0.2 < m.temperature < 5
    round_trip = BiasModel.from_dict(json.loads(m.to_json()))
    assert round_trip.fingerprint() == m.fingerprint()


def test_bad_artifacts_are_refused(tmp_path: Path):
    with pytest.raises(ArtifactError, match="not found"):
        load_bias_model(tmp_path / "missing.json")
    bad = json.loads(DEFAULT_ARTIFACT.read_text())
    bad["coef"] = bad["coef"][:-1]
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    with pytest.raises(ArtifactError, match="shapes"):
        load_bias_model(p)


def test_nan_features_are_imputed_not_propagated():
    m = load_bias_model()
    p = m.predict_proba(np.full((1, len(m.features)), np.nan))
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)


def test_temperature_fit_recovers_overconfidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(20000, 3))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random(20000)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)  # y ~ softmax(logits)
    assert fit_temperature(logits, y) == pytest.approx(1.0, abs=0.1)
    t = fit_temperature(logits * 2, y)  # the same signal, twice too confident
    assert t == pytest.approx(2.0, abs=0.2)


def test_walk_forward_never_trains_on_labels_from_the_test_period(real_daily):
    data = build_dataset(
        {s: real_daily[s] for s in ("SPY", "QQQ", "NVDA")} | {"VIX": real_daily["VIX"]},
        start=pd.Timestamp("2018-01-01"),
    )
    ev, logits, y = walk_forward(data, first_test_year=2023)
    assert [f["test_year"] for f in ev.folds] == [2023, 2024, 2025, 2026]
    lab = data[data["label"] >= 0]
    for f in ev.folds:
        start = pd.Timestamp(f"{f['test_year']}-01-01")
        assert f["train_rows"] == int((lab["next_date"] < start).sum())
    assert ev.folds[0]["temperature"] == 1.0  # nothing earlier to calibrate on
    assert len(y) == ev.rows == logits.shape[0]
