"""What an embedder is, and the one place that normalises vectors.

The chat service and the exporter only see this Protocol: the local model, Amazon Titan
and the labelled fallback are interchangeable, and a stored vector records which embedder
(``name``) and width (``dim``) produced it so a query is never compared with vectors of
another model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Text -> unit vectors. ``embed`` returns an ``(n, dim)`` float32, L2-normalised array."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def normalise(matrix: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length (an all-zero row stays zero: it matches nothing)."""
    arr = np.asarray(matrix, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(arr / norms, dtype=np.float32)
