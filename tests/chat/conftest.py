"""A seeded portfolio (tests/api/seed.py, run 'live') plus a second run holding one trade
the default view must never show, and the chat service over it at a fixed time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from llm_advisor.chat.service import ChatService
from llm_advisor.core.clock import ManualClock
from tests.api.dbs import seeded_sqlite
from tests.api.seed import Expected

NOW = datetime(2024, 3, 8, 21, 0, tzinfo=UTC)  # Friday 16:00 New York, the seed's last session
OTHER_RUN = "replay-other-7f3a"
OTHER_PNL = Decimal("4242.42")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Expected]:
    from llm_advisor.storage import open_repository

    url, exp = seeded_sqlite(tmp_path_factory.mktemp("chatdb"))
    repo = open_repository(url)
    try:
        repo.ensure_run(OTHER_RUN, "replay", "another run", NOW)
        entry = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
        repo.save_trades(
            [
                {
                    "symbol": "NVDA", "setup": "MR", "side": "short",
                    "signal_time": entry, "entry_time": entry, "entry_price": Decimal("100"),
                    "exit_time": entry.replace(minute=30), "exit_price": Decimal("57.5758"),
                    "qty": 100, "exit_reason": "target", "pnl": OTHER_PNL,
                    "commission": Decimal("0"), "client_order_id": "other-nvda-1",
                }
            ],
            run_id=OTHER_RUN,
        )  # fmt: skip
    finally:
        repo.close()
    return url, exp


@pytest.fixture
def service(seeded: tuple[str, Expected]) -> Iterator[ChatService]:
    from llm_advisor.storage import open_repository

    repo = open_repository(seeded[0])
    try:
        yield ChatService(repo, ManualClock(NOW))
    finally:
        repo.close()


def trade_ids(answer: Any) -> list[str]:
    return [c.id for c in answer.citations if c.kind == "trade"]
