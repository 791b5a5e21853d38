"""Numpy-only inference for the daily bias model, loaded from a versioned JSON artifact.

This module imports nothing but the standard library and numpy so the premarket Lambda
needs no scikit-learn and the clean-environment test can import it alone. The model is a
multinomial logistic regression on standardized, clipped features; its logits are divided
by a temperature fitted on out-of-fold predictions, which makes ``confidence`` a calibrated
probability rather than a raw score.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ARTIFACT_FORMAT = "llm-advisor/bias-model"
ARTIFACT_SCHEMA = 1
DEFAULT_ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "bias_model_v1.json"

FloatArray = npt.NDArray[np.float64]


class ArtifactError(ValueError):
    """The artifact is missing, of another format or internally inconsistent."""


def softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


@dataclass(frozen=True)
class BiasPrediction:
    bias: str
    confidence: float  # 0-100, calibrated probability of ``bias``
    probabilities: dict[str, float]


@dataclass(frozen=True)
class BiasModel:
    classes: tuple[str, ...]
    features: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray  # (n_features, n_classes)
    intercept: FloatArray  # (n_classes,)
    temperature: float = 1.0
    clip: float = 5.0
    version: str = "untrained"
    meta: dict[str, Any] = field(default_factory=dict)

    def standardize(self, x: FloatArray) -> FloatArray:
        """Impute NaN with the training mean (0 after scaling), then clip outliers."""
        z = (np.asarray(x, dtype=np.float64) - self.mean) / self.scale
        z = np.where(np.isfinite(z), z, 0.0)
        out: FloatArray = np.clip(z, -self.clip, self.clip)
        return out

    def logits(self, x: FloatArray) -> FloatArray:
        out: FloatArray = self.standardize(np.atleast_2d(x)) @ self.coef + self.intercept
        return out

    def predict_proba(self, x: FloatArray) -> FloatArray:
        return softmax(self.logits(x) / self.temperature)

    def predict_one(self, row: FloatArray) -> BiasPrediction:
        p = self.predict_proba(np.asarray(row, dtype=np.float64).reshape(1, -1))[0]
        k = int(np.argmax(p))
        return BiasPrediction(
            bias=self.classes[k],
            confidence=round(float(p[k]) * 100.0, 2),
            probabilities={c: round(float(v), 6) for c, v in zip(self.classes, p, strict=True)},
        )

    # ------------------------------------------------------------------ artifact I/O
    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "format": ARTIFACT_FORMAT,
            "schema": ARTIFACT_SCHEMA,
            "version": self.version,
            "classes": list(self.classes),
            "features": list(self.features),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "coef": [[float(v) for v in row] for row in self.coef],
            "intercept": [float(v) for v in self.intercept],
            "temperature": float(self.temperature),
            "clip": float(self.clip),
            "meta": self.meta,
        }
        return body

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BiasModel:
        if data.get("format") != ARTIFACT_FORMAT:
            raise ArtifactError(f"format={data.get('format')!r}, expected {ARTIFACT_FORMAT!r}")
        if data.get("schema") != ARTIFACT_SCHEMA:
            raise ArtifactError(f"schema={data.get('schema')!r}, expected {ARTIFACT_SCHEMA}")
        try:
            classes = tuple(str(c) for c in data["classes"])
            feats = tuple(str(f) for f in data["features"])
            mean = np.asarray(data["mean"], dtype=np.float64)
            scale = np.asarray(data["scale"], dtype=np.float64)
            coef = np.asarray(data["coef"], dtype=np.float64)
            intercept = np.asarray(data["intercept"], dtype=np.float64)
            temperature = float(data["temperature"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"bias artifact is incomplete: {exc}") from None
        nf, nc = len(feats), len(classes)
        if mean.shape != (nf,) or scale.shape != (nf,) or coef.shape != (nf, nc):
            raise ArtifactError("bias artifact: array shapes do not match the feature list")
        if intercept.shape != (nc,) or not np.all(scale > 0) or not temperature > 0:
            raise ArtifactError("bias artifact: bad intercept, scale or temperature")
        return cls(
            classes=classes,
            features=feats,
            mean=mean,
            scale=scale,
            coef=coef,
            intercept=intercept,
            temperature=temperature,
            clip=float(data.get("clip", 5.0)),
            version=str(data.get("version", "unknown")),
            meta=dict(data.get("meta", {})),
        )

    def fingerprint(self) -> str:
        """Hash of the parameters (not the metadata): equal models, equal fingerprints."""
        blob = json.dumps(
            [
                self.to_dict()[k]
                for k in (
                    "classes",
                    "features",
                    "mean",
                    "scale",
                    "coef",
                    "intercept",
                    "temperature",
                    "clip",
                )
            ]
        ).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def load_bias_model(path: str | Path | None = None) -> BiasModel:
    """Load the artifact (the packaged one by default); ArtifactError says what is wrong."""
    p = Path(path) if path is not None else DEFAULT_ARTIFACT
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"bias model artifact not found at {p} (run `make train-bias`)"
        ) from None
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"bias model artifact {p} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"bias model artifact {p} is not a JSON object")
    return BiasModel.from_dict(data)
