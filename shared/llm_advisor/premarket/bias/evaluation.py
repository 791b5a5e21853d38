"""Scores of the daily bias model and the walk-forward report ``make train-bias`` prints.

Why apart from ``train``: fitting and splitting decide what the model learns; these only
measure it (accuracy, macro-F1, log loss, Brier, calibration by confidence bin) against the
majority-class and yesterday's-direction baselines, and format the result for a person.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from llm_advisor.premarket.bias.labels import CLASSES
from llm_advisor.premarket.bias.model import FloatArray

IntArray = npt.NDArray[np.int64]


# ---------------------------------------------------------------------------- metrics
@dataclass
class Scores:
    name: str
    accuracy: float
    macro_f1: float
    log_loss: float
    brier: float
    precision: list[float]
    recall: list[float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "log_loss": round(self.log_loss, 4),
            "brier": round(self.brier, 4),
            "precision": {c: round(v, 4) for c, v in zip(CLASSES, self.precision, strict=True)},
            "recall": {c: round(v, 4) for c, v in zip(CLASSES, self.recall, strict=True)},
        }


def score(name: str, proba: FloatArray, y: IntArray, pred: IntArray | None = None) -> Scores:
    k = proba.shape[1]
    pred = proba.argmax(axis=1) if pred is None else pred
    prec, rec, f1 = [], [], []
    for c in range(k):
        tp = float(np.sum((pred == c) & (y == c)))
        pp, ap = float(np.sum(pred == c)), float(np.sum(y == c))
        pr = tp / pp if pp else 0.0
        rc = tp / ap if ap else 0.0
        prec.append(pr)
        rec.append(rc)
        f1.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    onehot = np.eye(k)[y]
    return Scores(
        name=name,
        accuracy=float(np.mean(pred == y)),
        macro_f1=float(np.mean(f1)),
        log_loss=float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)))),
        brier=float(np.mean(np.sum((proba - onehot) ** 2, axis=1))),
        precision=prec,
        recall=rec,
    )


CAL_BINS = (0.0, 0.40, 0.45, 0.50, 0.55, 0.60, 1.01)


def calibration_table(proba: FloatArray, y: IntArray) -> list[dict[str, Any]]:
    conf = proba.max(axis=1)
    hit = proba.argmax(axis=1) == y
    rows = []
    for lo, hi in itertools.pairwise(CAL_BINS):
        m = (conf >= lo) & (conf < hi)
        n = int(m.sum())
        rows.append(
            {
                "bin": f"{lo * 100:.0f}-{min(hi, 1.0) * 100:.0f}",
                "n": n,
                "mean_confidence": round(float(conf[m].mean()) * 100, 1) if n else None,
                "accuracy": round(float(hit[m].mean()) * 100, 1) if n else None,
            }
        )
    return rows


# ---------------------------------------------------------------------------- evaluation
@dataclass
class Evaluation:
    model: Scores
    majority: Scores
    persistence: Scores
    calibration: list[dict[str, Any]]
    uncalibrated_log_loss: float
    folds: list[dict[str, Any]]
    rows: int
    symbols: int
    start: date
    end: date
    watchlist: dict[str, Any]
    oof_temperature: float


def evaluation_dict(ev: Evaluation) -> dict[str, Any]:
    return {
        "out_of_sample": {
            "rows": ev.rows,
            "symbols": ev.symbols,
            "from": ev.start.isoformat(),
            "to": ev.end.isoformat(),
        },
        "model": ev.model.as_dict(),
        "majority": ev.majority.as_dict(),
        "persistence": ev.persistence.as_dict(),
        "uncalibrated_log_loss": ev.uncalibrated_log_loss,
        "calibration": ev.calibration,
        "watchlist": ev.watchlist,
        "temperature": ev.oof_temperature,
        "folds": ev.folds,
    }


def format_report(ev: Evaluation) -> list[str]:
    """The text `train-bias` prints (also pasted into docs/premarket.md)."""
    lines = [
        f"Walk-forward out-of-sample evaluation: {ev.rows:,} symbol-days, {ev.symbols} symbols, "
        f"{ev.start} .. {ev.end} ({len(ev.folds)} yearly folds, expanding window)",
        "",
        f"{'predictor':<24}{'accuracy':>9}{'macro-F1':>10}{'log-loss':>10}{'Brier':>8}",
    ]
    for s in (ev.model, ev.majority, ev.persistence):
        lines.append(
            f"{s.name:<24}{s.accuracy:>9.4f}{s.macro_f1:>10.4f}{s.log_loss:>10.4f}{s.brier:>8.4f}"
        )
    lines.append(
        f"(model log-loss before temperature scaling: {ev.uncalibrated_log_loss:.4f}; "
        f"uniform guess: {math.log(3):.4f})"
    )
    lines += [
        "",
        f"{'per class':<24}" + "".join(f"{c:>20}" for c in CLASSES),
        f"{'':<24}" + "".join(f"{'precision  recall':>20}" for _ in CLASSES),
    ]
    for s in (ev.model, ev.majority, ev.persistence):
        lines.append(
            f"{s.name:<24}"
            + "".join(f"{p:>11.3f}{r:>9.3f}" for p, r in zip(s.precision, s.recall, strict=True))
        )
    lines += [
        "",
        "Calibration of the model's confidence (probability of the predicted class):",
        f"{'confidence %':<14}{'n':>9}{'mean conf %':>13}{'accuracy %':>12}",
    ]
    for row in ev.calibration:
        mc = "-" if row["mean_confidence"] is None else f"{row['mean_confidence']:.1f}"
        ac = "-" if row["accuracy"] is None else f"{row['accuracy']:.1f}"
        lines.append(f"{row['bin']:<14}{row['n']:>9}{mc:>13}{ac:>12}")
    w = ev.watchlist
    if w["rows"]:
        lines += [
            "",
            f"Watchlist symbols present (SPY QQQ IWM NVDA TSLA), {w['rows']} rows: "
            f"model accuracy {w['model_accuracy']:.4f}, majority {w['majority_accuracy']:.4f}",
        ]
    lines += [
        "",
        "Per test year: "
        + ", ".join(
            f"{f['test_year']} {f['accuracy']:.3f}/{f['majority_accuracy']:.3f}" for f in ev.folds
        )
        + "  (model/majority accuracy)",
        f"Temperature (all out-of-fold): {ev.oof_temperature}",
    ]
    return lines
