"""``premarket --news-file``: the CSV is a news source like the feeds (``FileNewsSource``).

Only headlines published in the lookback before the run reach the context, and a file
without headlines stops the command with one line naming it. Synthetic bars, no network.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from llm_advisor.__main__ import main
from llm_advisor.sweep.local_map import synthetic_store

HEADER = "published_utc,symbols,headline,source,url\n"


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, date]:
    d = tmp_path_factory.mktemp("bars")
    _, last = synthetic_store(d, ["SPY", "NVDA"], date(2024, 3, 4), 3, seed=5)
    return d, last


def _args(bars: tuple[Path, date], news: Path, out: Path) -> list[str]:
    return [
        "premarket",
        "--date",
        bars[1].isoformat(),
        "--bars-dir",
        str(bars[0]),
        "--symbols",
        "SPY",
        "NVDA",
        "--news-file",
        str(news),
        "--alpaca-news",
        "off",
        "--vix",
        "none",
        "--out-dir",
        str(out),
        "--json",
    ]


def test_only_headlines_of_the_lookback_before_the_run_count(
    bars: tuple[Path, date], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    day = bars[1].isoformat()  # 2024-03-06: the run is 09:00 New York = 14:00Z
    news = tmp_path / "news.csv"
    news.write_text(
        HEADER
        + f"{day}T13:30:00Z,NVDA,Nvidia unveils a new chip,wire,https://x.test/a\n"
        + f"{day}T12:00:00Z,NVDA,Nvidia supplier beats estimates,wire,https://x.test/b\n"
        + f"{day}T14:30:00Z,NVDA,Nvidia falls after the open,wire,https://x.test/c\n"
        + "2024-02-20T14:00:00Z,NVDA,Nvidia earnings date set,wire,https://x.test/d\n"
        + f"{day}T11:00:00Z,,Fed minutes due this afternoon,wire,https://x.test/e\n"
    )
    assert main(_args(bars, news, tmp_path / "data")) == 0
    ctx = json.loads(capsys.readouterr().out)["context"]
    assert ctx["symbols"]["NVDA"]["news_count"] == 2  # not after the run, not weeks before
    assert ctx["symbols"]["SPY"]["news_count"] == 0
    assert ctx["market_context"]["news_count"] == 1
    assert "Nvidia falls after the open" not in json.dumps(ctx)


@pytest.mark.parametrize(
    ("body", "words"),
    [("", "empty file, no headlines"), (HEADER, "no headlines (only a header line)")],
)
def test_a_news_file_without_headlines_is_one_line(
    bars: tuple[Path, date],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    body: str,
    words: str,
) -> None:
    news = tmp_path / "news.csv"
    news.write_text(body)
    assert main(_args(bars, news, tmp_path / "data")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: news file {news}") and words in err
    assert err.count("\n") == 1 and not (tmp_path / "data").exists()
