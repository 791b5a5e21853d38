"""``make demo`` leaves something to ask about: a bias per symbol for the simulated session
(the synthetic market now carries a year of daily bars), market analyses, trades, and the
day's retrieval documents of every kind (issue 14, item 7)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest

from llm_advisor.cli import demo
from llm_advisor.rag.documents import KINDS
from llm_advisor.rag.retrieval import search
from llm_advisor.storage import open_repository

DAY = date(2024, 3, 12)
SYMBOLS = ["IWM", "NVDA", "QQQ", "SPY", "TSLA"]


@pytest.mark.slow  # the whole demo (~80 s); `make test` and CI run it, test-fast skips it
def test_demo_stores_bias_analyses_and_documents_of_each_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADVISOR_RAG_EMBEDDER", "hash")  # the model's speed is not under test
    db = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    parser = argparse.ArgumentParser()
    demo.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            *("demo", "--start", DAY.isoformat(), "--sessions", "1"),
            *("--symbols", ",".join(SYMBOLS), "--db", db, "--out", str(tmp_path / "out")),
        ]
    )
    assert demo.run(args) == 0
    assert "== 4. retrieval documents: 2024-03-12:" in capsys.readouterr().out

    repo = open_repository(db)
    try:
        assert [b.symbol for b in repo.daily_bias(DAY)] == SYMBOLS
        with repo.db.transaction() as cur:
            cur.execute(
                "SELECT COUNT(*) FROM market_analysis WHERE session_date = ? AND run_id = ?",
                (DAY.isoformat(), f"local-{DAY.isoformat()}"),
            )
            assert cur.fetchone()[0] > 0
            cur.execute("SELECT kind, COUNT(*) FROM rag_documents GROUP BY kind")
            kinds = dict(cur.fetchall())
        assert set(kinds) == set(KINDS) and kinds["daily_bias"] == len(SYMBOLS)
        hits = search(repo, "NVDA trade exit", k=3, symbol="NVDA", kinds=["trade"])
        assert hits and all(h.kind == "trade" and h.symbol == "NVDA" for h in hits)
    finally:
        repo.close()
    assert any((tmp_path / "out/rag/2024/03/2024-03-12/daily_bias").glob("*.metadata.json"))
