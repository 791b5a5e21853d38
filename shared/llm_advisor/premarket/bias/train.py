"""Training and honest walk-forward evaluation of the daily bias model (numpy only).

Why walk-forward by calendar year with an expanding window: bias labels are serially
dependent and regimes change, so a shuffled split would leak the future into training.
For a test year starting on day S, a training row is used only if its *label* date is
before S (the label of row t is session t+1), so every training label was known before the
first test prediction. The temperature that calibrates a test year is fitted on the
out-of-fold predictions of the earlier test years only (the first test year uses 1.0); the
shipped artifact is refitted on every labelled row with the temperature fitted on all
out-of-fold predictions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from llm_advisor.core.errors import DataError
from llm_advisor.premarket.bias.evaluation import (
    Evaluation,
    calibration_table,
    evaluation_dict,
    score,
)
from llm_advisor.premarket.bias.features import FEATURES, compute_features, feature_matrix
from llm_advisor.premarket.bias.labels import CHOPPY_ATR_FRACTION, CLASSES, label_moves
from llm_advisor.premarket.bias.model import BiasModel, FloatArray, softmax

IntArray = npt.NDArray[np.int64]

# Not trained on: VIX is an index with no volume (it is a context feature), the indices
# duplicate their ETFs, and crypto trades seven days a week.
EXCLUDED = frozenset({"VIX", "GSPC", "IXIC", "BTC_USD", "ETH_USD"})
TRAIN_START = pd.Timestamp("2008-01-01")
FIRST_TEST_YEAR = 2013
L2 = 1e-3
WATCHLIST = ("SPY", "QQQ", "IWM", "NVDA", "TSLA")


# ---------------------------------------------------------------------------- data
def read_daily_file(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read daily bars ({exc})") from None
    if "date" not in df.columns:
        raise DataError(f"{path}: missing column 'date'")
    df["date"] = pd.to_datetime(df["date"])
    return df.set_index("date")


def load_daily_dir(daily_dir: Path) -> dict[str, pd.DataFrame]:
    if not daily_dir.is_dir():
        raise DataError(f"--daily-dir {daily_dir}: not a directory")
    out: dict[str, pd.DataFrame] = {}
    for p in sorted(daily_dir.glob("*.csv*")):
        out[p.name.split(".")[0]] = read_daily_file(p)
    if not out:
        raise DataError(f"--daily-dir {daily_dir}: no *.csv or *.csv.gz files")
    return out


def build_dataset(
    daily: dict[str, pd.DataFrame], start: pd.Timestamp = TRAIN_START
) -> pd.DataFrame:
    """One row per (symbol, feature date) with features, label and the persistence label."""
    spy, vix = daily.get("SPY"), daily.get("VIX")
    frames = []
    for sym in sorted(daily):
        if sym in EXCLUDED:
            continue
        f = compute_features(daily[sym], spy, vix)
        f = f.loc[f.index >= start]
        if f.empty:
            continue
        f = f.assign(symbol=sym)
        frames.append(f)
    if not frames:
        raise DataError("no symbol has enough daily history to train on")
    data = pd.concat(frames)
    data["label"] = label_moves(data["next_move_atr"].to_numpy())
    data["today_label"] = label_moves(data["today_move_atr"].to_numpy())
    data = data.reset_index().rename(columns={"index": "date"})
    return data


# ---------------------------------------------------------------------------- fitting
def fit_logistic(
    x: FloatArray, y: IntArray, k: int, l2: float = L2, iters: int = 25
) -> tuple[FloatArray, FloatArray]:
    """Multinomial logistic regression by Newton's method with an L2 penalty.

    ``x`` is already standardized. Returns (coef (d, k), intercept (k,)). Deterministic.
    """
    n, d = x.shape
    xa = np.hstack([x, np.ones((n, 1))])
    p_dim = (d + 1) * k
    w = np.zeros((d + 1, k))
    onehot = np.eye(k)[y]
    pen = np.full(d + 1, l2)
    pen[-1] = 1e-8  # the intercepts are identified only up to a constant
    for _ in range(iters):
        p = softmax(xa @ w)
        grad = xa.T @ (p - onehot) / n + pen[:, None] * w
        h = np.zeros((p_dim, p_dim))
        for a in range(k):
            for b in range(a, k):
                wt = p[:, a] * ((1.0 if a == b else 0.0) - p[:, b]) / n
                blk = (xa * wt[:, None]).T @ xa
                h[a::k, b::k] = blk
                h[b::k, a::k] = blk.T
        h += np.diag(np.repeat(pen, k))
        step = np.linalg.solve(h, grad.reshape(-1)).reshape(d + 1, k)
        w -= step
        if float(np.max(np.abs(step))) < 1e-7:
            break
    return w[:-1], w[-1]


def nll(logits: FloatArray, y: IntArray, t: float = 1.0) -> float:
    p = softmax(logits / t)
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-15, 1.0))))


def fit_temperature(logits: FloatArray, y: IntArray) -> float:
    """Temperature minimising the log loss (golden-section search on log T in [0.2, 5])."""
    if len(y) == 0:
        return 1.0
    lo, hi = math.log(0.2), math.log(5.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(logits, y, math.exp(a)), nll(logits, y, math.exp(b))
    for _ in range(35):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(logits, y, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(logits, y, math.exp(b))
    return round(math.exp((lo + hi) / 2), 6)


def fit_model(frame: pd.DataFrame, temperature: float = 1.0) -> BiasModel:
    x = feature_matrix(frame)
    y = frame["label"].to_numpy()
    mean = np.nanmean(x, axis=0)
    scale = np.nanstd(x, axis=0)
    scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    model = BiasModel(CLASSES, FEATURES, mean, scale, np.zeros((len(FEATURES), 3)), np.zeros(3))
    coef, intercept = fit_logistic(model.standardize(x), y, len(CLASSES))
    return BiasModel(CLASSES, FEATURES, mean, scale, coef, intercept, temperature)


# ---------------------------------------------------------------------------- walk-forward
def walk_forward(
    data: pd.DataFrame,
    first_test_year: int = FIRST_TEST_YEAR,
    on_fold: Callable[[int], None] | None = None,
) -> tuple[Evaluation, FloatArray, IntArray]:
    """Expanding-window yearly folds; returns the evaluation and the OOF logits/labels."""
    lab = data[data["label"] >= 0]
    years = sorted({int(y) for y in lab["date"].dt.year if y >= first_test_year})
    if not years:
        raise DataError(f"no labelled rows in or after {first_test_year} to evaluate on")
    oof_logits: list[FloatArray] = []
    oof_y: list[IntArray] = []
    probs: list[FloatArray] = []
    maj_p: list[FloatArray] = []
    per_p: list[FloatArray] = []
    per_pred: list[IntArray] = []
    idx_all: list[npt.NDArray[np.int64]] = []
    folds = []
    for i, year in enumerate(years):
        start = pd.Timestamp(f"{year}-01-01")
        end = pd.Timestamp(f"{year + 1}-01-01")
        train = lab[lab["next_date"] < start]
        test = lab[(lab["date"] >= start) & (lab["date"] < end)]
        if train.empty or test.empty:
            continue
        model = fit_model(train)
        logits = model.logits(feature_matrix(test))
        y = test["label"].to_numpy()
        prior_l = np.concatenate(oof_logits) if oof_logits else np.zeros((0, 3))
        prior_y = np.concatenate(oof_y) if oof_y else np.zeros(0, dtype=np.int64)
        temp = fit_temperature(prior_l, prior_y) if len(prior_y) else 1.0
        p = softmax(logits / temp)
        ytr = train["label"].to_numpy()
        freq = np.bincount(ytr, minlength=3) / len(ytr)
        # persistence: P(label | yesterday's label) counted on the training rows
        trans = np.ones((3, 3))
        np.add.at(trans, (train["today_label"].to_numpy().clip(0), ytr), 1.0)
        trans /= trans.sum(axis=1, keepdims=True)
        tl = test["today_label"].to_numpy().clip(0)
        oof_logits.append(logits)
        oof_y.append(y)
        probs.append(p)
        maj_p.append(np.tile(freq, (len(y), 1)))
        per_p.append(trans[tl])
        per_pred.append(tl)
        idx_all.append(test.index.to_numpy())
        folds.append(
            {
                "test_year": year,
                "train_rows": len(train),
                "test_rows": len(y),
                "temperature": temp,
                "accuracy": round(float(np.mean(p.argmax(axis=1) == y)), 4),
                "majority_accuracy": round(float(np.mean(y == int(freq.argmax()))), 4),
            }
        )
        if on_fold:
            on_fold(i)
    y_all = np.concatenate(oof_y)
    lg = np.concatenate(oof_logits)
    p_all = np.concatenate(probs)
    maj = np.concatenate(maj_p)
    maj_pred = maj.argmax(axis=1)
    tested = lab.loc[np.concatenate(idx_all)]
    wl = tested["symbol"].isin(WATCHLIST).to_numpy()
    ev = Evaluation(
        model=score("model (calibrated)", p_all, y_all),
        majority=score("majority class", maj, y_all, maj_pred),
        persistence=score(
            "yesterday's direction", np.concatenate(per_p), y_all, np.concatenate(per_pred)
        ),
        calibration=calibration_table(p_all, y_all),
        uncalibrated_log_loss=round(nll(lg, y_all), 4),
        folds=folds,
        rows=len(y_all),
        symbols=int(tested["symbol"].nunique()),
        start=tested["date"].min().date(),
        end=tested["date"].max().date(),
        watchlist={
            "rows": int(wl.sum()),
            "model_accuracy": round(float(np.mean(p_all[wl].argmax(axis=1) == y_all[wl])), 4)
            if wl.any()
            else None,
            "majority_accuracy": round(float(np.mean(maj_pred[wl] == y_all[wl])), 4)
            if wl.any()
            else None,
        },
        oof_temperature=fit_temperature(lg, y_all),
    )
    return ev, lg, y_all


def train_and_evaluate(
    daily: dict[str, pd.DataFrame],
    first_test_year: int = FIRST_TEST_YEAR,
    on_fold: Callable[[int], None] | None = None,
) -> tuple[BiasModel, Evaluation]:
    data = build_dataset(daily)
    ev, _lg, _y = walk_forward(data, first_test_year, on_fold)
    lab = data[data["label"] >= 0]
    final = fit_model(lab, temperature=ev.oof_temperature)
    meta = {
        "label_rule": (
            f"r = (close[t+1]-open[t+1]) / ATR14[t]; |r| < {CHOPPY_ATR_FRACTION} -> choppy, "
            "r > 0 -> bullish, r < 0 -> bearish"
        ),
        "trained_rows": len(lab),
        "trained_symbols": sorted(lab["symbol"].unique().tolist()),
        "trained_from": lab["date"].min().date().isoformat(),
        "trained_to_label_date": lab["next_date"].max().date().isoformat(),
        "evaluation": evaluation_dict(ev),
    }
    model = BiasModel(
        final.classes,
        final.features,
        final.mean,
        final.scale,
        final.coef,
        final.intercept,
        final.temperature,
        final.clip,
        "",
        meta,
    )
    version = f"bias-lr-v1-{model.fingerprint()}"
    return (
        BiasModel(
            model.classes,
            model.features,
            model.mean,
            model.scale,
            model.coef,
            model.intercept,
            model.temperature,
            model.clip,
            version,
            meta,
        ),
        ev,
    )


def iter_symbols(daily: dict[str, pd.DataFrame]) -> Iterable[str]:
    return (s for s in sorted(daily) if s not in EXCLUDED)


__all__: Sequence[str] = ("build_dataset", "fit_model", "train_and_evaluate", "walk_forward")
