"""Amazon Titan Text Embeddings V2 over bedrock-runtime ``InvokeModel`` (the deployed embedder).

One text per call (the model's API takes one ``inputText``); ``normalize: true`` asks the
service for unit vectors and ``normalise`` re-checks. The width is configurable (256, 512
or 1024; ``ADVISOR_RAG_TITAN_DIM``) and part of ``name`` so vectors of two widths never mix.
Errors become one line naming the model and the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from llm_advisor.aws.clients import LazyClient
from llm_advisor.core.config import load_environment
from llm_advisor.core.errors import ConfigError, UserError
from llm_advisor.rag.embedding import Vectors, normalise

MODEL_ID = "amazon.titan-embed-text-v2:0"
DIMS = (256, 512, 1024)
MAX_CHARS = 50_000  # the model's input limit is 8k tokens; documents here are far shorter


class TitanEmbedder:
    def __init__(
        self,
        dim: int = 1024,
        model_id: str = MODEL_ID,
        region: str | None = None,
        endpoint_url: str | None = None,
        client: Any = None,
    ) -> None:
        if dim not in DIMS:
            raise ConfigError(f"ADVISOR_RAG_TITAN_DIM={dim}: expected one of {DIMS}")
        self.dim = dim
        self.model_id = model_id
        self.name = f"titan-embed-text-v2-{dim}"
        self._client = client
        self._lazy = LazyClient("bedrock-runtime", region, endpoint_url)

    @classmethod
    def from_environment(cls) -> TitanEmbedder:
        env = load_environment()
        raw = env.get("ADVISOR_RAG_TITAN_DIM", "") or "1024"
        try:
            dim = int(raw)
        except ValueError:
            raise ConfigError(f"ADVISOR_RAG_TITAN_DIM={raw!r}: expected one of {DIMS}") from None
        return cls(
            dim=dim,
            model_id=env.get("ADVISOR_RAG_TITAN_MODEL", "") or MODEL_ID,
            region=env.get("AWS_REGION") or None,
        )

    def _call(self, text: str) -> list[float]:
        client = self._client or self._lazy.get()
        body = json.dumps(
            {"inputText": text[:MAX_CHARS], "dimensions": self.dim, "normalize": True}
        )
        try:
            resp = client.invoke_model(
                modelId=self.model_id,
                body=body.encode("utf-8"),
                contentType="application/json",
                accept="application/json",
            )
            payload = json.loads(resp["body"].read())
        except Exception as exc:
            raise UserError(
                f"embedding model={self.model_id!r}: invoke_model failed ({exc})"
            ) from None
        vec = payload.get("embedding") if isinstance(payload, dict) else None
        if not isinstance(vec, list) or len(vec) != self.dim:
            got = len(vec) if isinstance(vec, list) else type(vec).__name__
            raise UserError(
                f"embedding model={self.model_id!r}: expected {self.dim} numbers, got {got}"
            )
        return [float(x) for x in vec]

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(np.array([self._call(t) for t in texts], dtype=np.float32))
