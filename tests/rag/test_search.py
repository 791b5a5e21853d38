"""search(): ranking with the real local model and the fallback, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from llm_advisor.core.errors import UserError
from llm_advisor.rag.embedders import HashingEmbedder
from llm_advisor.rag.export import export_day
from llm_advisor.rag.retrieval import RetrievedDoc, search
from llm_advisor.storage import Repository

from .seed import NVDA_SHORT_ID, TUESDAY

NOW = datetime(2024, 3, 9, tzinfo=UTC)
DAYS = [date(2024, 3, d) for d in (4, 5, 6, 7, 8)]


def _export_week(repo: Repository, embedder) -> None:  # type: ignore[no-untyped-def]
    for day in DAYS:
        export_day(repo, day, None, embedder, NOW)


def test_nvda_short_on_tuesday_ranks_the_trade_first_with_the_local_model(
    seeded: Repository, local_embedder
) -> None:  # type: ignore[no-untyped-def]
    _export_week(seeded, local_embedder)
    hits = search(seeded, "NVDA short on Tuesday", k=5, embedder=local_embedder)
    assert isinstance(hits[0], RetrievedDoc)
    assert (hits[0].kind, hits[0].record_id) == ("trade", NVDA_SHORT_ID)
    assert hits[0].symbol == "NVDA" and hits[0].date == TUESDAY and hits[0].run_id == "live"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    bias = search(seeded, "what was the daily bias for NVDA and why", k=1, embedder=local_embedder)
    assert (bias[0].kind, bias[0].symbol) == ("daily_bias", "NVDA")


def test_fallback_ranks_by_shared_words_and_filters_narrow(
    seeded: Repository, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    _export_week(seeded, hash_embedder)
    hits = search(seeded, "NVDA short on Tuesday", k=3, embedder=hash_embedder)
    assert NVDA_SHORT_ID in [h.record_id for h in hits]  # no synonyms, but shared words count
    only = search(seeded, "trade", k=50, kinds=["daily_pnl"], embedder=hash_embedder)
    assert {h.kind for h in only} == {"daily_pnl"} and len(only) == 5
    nvda = search(seeded, "trade", k=50, symbol="nvda", embedder=hash_embedder)
    assert nvda and {h.symbol for h in nvda} == {"NVDA"}
    tue = search(seeded, "trade", k=50, start=TUESDAY, end=TUESDAY, embedder=hash_embedder)
    assert {h.date for h in tue} == {TUESDAY} and len(tue) == 10
    assert search(seeded, "trade", run_id="other-run", embedder=hash_embedder) != []
    assert {
        h.run_id for h in search(seeded, "trade", k=50, run_id="other", embedder=hash_embedder)
    } == {None}  # only the shared per-day documents (bias, premarket) of no run


def test_query_with_another_embedder_says_so(sqlite_repo: Repository, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    _export_week(sqlite_repo, hash_embedder)
    with pytest.raises(
        UserError, match=r"embedder='hash-fallback-v1' \(dim 64\).*hash-fallback-v1/512 x"
    ):
        search(sqlite_repo, "NVDA", embedder=HashingEmbedder(dim=64))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"query": " "}, "query="),
        ({"query": "x", "k": 0}, "k=0"),
        ({"query": "x", "kinds": ["trades"]}, "kinds="),
        ({"query": "x", "start": date(2024, 3, 8), "end": date(2024, 3, 4)}, "end="),
        ({"query": "x", "symbol": "nv da"}, "symbol"),
    ],
)
def test_bad_arguments_are_one_line_naming_the_field(
    sqlite_repo: Repository, hash_embedder, kwargs, field
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match=field) as err:
        search(sqlite_repo, embedder=hash_embedder, **kwargs)
    assert "\n" not in str(err.value)
