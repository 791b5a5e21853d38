"""``premarket`` (build and write the day's context) and ``train-bias`` (fit the model)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time as _time
from datetime import date, time
from pathlib import Path
from typing import Any

import pandas as pd

from llm_advisor.core.calendar import is_session
from llm_advisor.core.config import DEFAULT_WATCHLIST
from llm_advisor.core.errors import AdvisorError, UserError
from llm_advisor.core.models import validate_symbol
from llm_advisor.core.progress import (
    ProgressBar,
    add_output_options,
    apply_output_options,
    json_document,
    progress,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("premarket", help="build the premarket context of one session")
    p.add_argument("--date", required=True, help="session date YYYY-MM-DD")
    p.add_argument("--bars-dir", type=Path, help="directory of 1-minute SYMBOL.csv.gz files")
    p.add_argument("--daily-dir", type=Path, help="directory of daily SYMBOL.csv.gz files")
    p.add_argument("--news-file", type=Path, help="headlines CSV (published_utc,symbols,...)")
    p.add_argument(
        "--rss",
        action="append",
        default=[],
        metavar="URL_OR_FILE",
        help="RSS/Atom feed (repeatable); SYMBOL=URL binds the feed to a ticker",
    )
    p.add_argument("--symbols", nargs="+", help=f"default: {' '.join(DEFAULT_WATCHLIST)}")
    p.add_argument(
        "--out-dir",
        type=Path,
        default=Path("data"),
        help="base directory; writes daily_news/DATE/processed/premarket_context.json",
    )
    p.add_argument(
        "--archive-dir",
        type=Path,
        help="also archive to this folder at YYYY/MM/DATE/premarket_context.json",
    )
    p.add_argument("--db", help="database URL (sqlite:///... or postgresql://...)")
    from llm_advisor.analysis.providers import LLM_PROVIDERS

    p.add_argument(
        "--summarizer",
        default="rules",
        choices=["rules", *LLM_PROVIDERS, "replay"],  # analysis/providers.py
        help="who writes each news_summary (rules = extractive headlines, no LLM; an LLM "
        "writes a short premarket paragraph from the facts and headlines)",
    )
    p.add_argument(
        "--alpaca-news",
        default="auto",
        choices=["auto", "on", "off"],
        help="headlines from Alpaca's news API (auto: when Alpaca keys are set)",
    )
    p.add_argument(
        "--vix",
        default="auto",
        choices=["auto", "daily", "url", "none"],
        help="VIX figure: daily = the --daily-dir VIX file; url = ADVISOR_VIX_SOURCE_URL "
        "(default CBOE's CSV) with SPY's realised volatility as the fallback; auto = daily "
        "when the file exists, else url when Alpaca keys are set, else none",
    )
    p.add_argument("--model", type=Path, help="bias model artifact (default: the packaged one)")
    p.add_argument("--run-time", default="09:00", help="America/New_York HH:MM of the run")
    add_output_options(p, "print one JSON document (the context and where it went) on stdout")
    p.set_defaults(func=run_premarket)

    t = sub.add_parser("train-bias", help="train and evaluate the daily bias model")
    t.add_argument(
        "--daily-dir",
        type=Path,
        required=True,
        help="directory of daily SYMBOL.csv.gz bars to train on (e.g. ../shared/data/daily)",
    )
    t.add_argument("--out", type=Path, help="artifact path (default: the packaged artifact)")
    t.add_argument(
        "--first-test-year",
        type=int,
        default=2013,
        help="first out-of-sample year of the walk-forward evaluation (default 2013)",
    )
    add_output_options(t)
    t.set_defaults(func=run_train_bias)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--date={text!r}: expected YYYY-MM-DD") from None


def _parse_hhmm(text: str) -> time:
    try:
        hh, mm = text.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise UserError(f"--run-time={text!r}: expected HH:MM") from None


def _open_repository(url: str) -> Any:
    try:
        storage = importlib.import_module("llm_advisor.storage")
        opener = storage.open_repository
    except (ImportError, AttributeError):
        raise UserError(f"--db={url!r}: the storage package has no open_repository()") from None
    return opener(url, migrate_schema=True)


def run_premarket(args: argparse.Namespace) -> int:
    apply_output_options(args)
    with json_document(args.json) as doc:
        return _run_premarket(args, doc)


def _run_premarket(args: argparse.Namespace, doc: dict[str, Any]) -> int:
    from llm_advisor.data.barfiles import BarDirectory
    from llm_advisor.local.stores import FolderObjectStore
    from llm_advisor.premarket.bias.model import ArtifactError, load_bias_model
    from llm_advisor.premarket.news.files import FileNewsSource
    from llm_advisor.premarket.news.models import NewsItem
    from llm_advisor.premarket.news.rss import RssNewsSource
    from llm_advisor.premarket.pipeline import (
        PremarketConfig,
        build_premarket_context,
        run_time_for,
    )
    from llm_advisor.premarket.writers import (
        put_context,
        save_context,
        write_context_file,
    )

    day = _parse_date(args.date)
    if not is_session(day):
        kind = "a weekend" if day.weekday() >= 5 else "an XNYS market holiday"
        print(f"{day.isoformat()} is {kind}: no session, nothing written.")
        doc.update(date=day.isoformat(), session=False, context=None)
        return 0
    symbols = [validate_symbol_arg(s) for s in (args.symbols or DEFAULT_WATCHLIST)]
    cfg = PremarketConfig(run_time=_parse_hhmm(args.run_time))
    if args.bars_dir is None:
        raise UserError("--bars-dir is required (a directory of 1-minute SYMBOL.csv.gz files)")
    bars_dir = BarDirectory(args.bars_dir)
    daily_dir = BarDirectory(args.daily_dir) if args.daily_dir else None

    bars: dict[str, pd.DataFrame] = {}
    daily: dict[str, pd.DataFrame] = {}
    pre_excluded: dict[str, str] = {}
    for sym in progress(symbols, len(symbols), "premarket"):
        if sym not in bars_dir:
            pre_excluded[sym] = f"no 1-minute bar file in {args.bars_dir}"
            continue
        try:
            bars[sym] = bars_dir.load(sym)
            if daily_dir is not None and sym in daily_dir:
                daily[sym] = daily_dir.load(sym)
        except AdvisorError as exc:
            pre_excluded[sym] = str(exc)
            bars.pop(sym, None)
    if daily_dir is not None:
        for ctx_sym in ("SPY", "VIX"):
            if ctx_sym not in daily and ctx_sym in daily_dir:
                try:
                    daily[ctx_sym] = daily_dir.load(ctx_sym)
                except AdvisorError as exc:
                    print(f"warning: {ctx_sym} daily context unavailable: {exc}", file=sys.stderr)

    news: list[NewsItem] = []
    run_time = run_time_for(day, cfg)
    start = run_time - pd.Timedelta(hours=cfg.news_lookback_hours).to_pytimedelta()
    if args.news_file:
        news += FileNewsSource(args.news_file).fetch(symbols, start, run_time)
    for spec in args.rss:
        sym_part, _, loc = spec.partition("=") if "=" in spec.split("://")[0] else ("", "", spec)
        src = RssNewsSource(loc, (validate_symbol_arg(sym_part),) if sym_part else ())
        news += src.fetch(symbols, start, run_time)
    keys = _alpaca_keys(required=args.alpaca_news == "on")
    if keys is not None and args.alpaca_news != "off":
        news += _alpaca_news(keys, symbols, start, run_time)
    volatility = _volatility(args.vix, day, daily, keys is not None)

    try:
        model = load_bias_model(args.model)
    except ArtifactError as exc:
        if args.model is not None:
            raise UserError(f"--model: {exc}") from None
        print(f"warning: {exc}; contexts will carry no bias", file=sys.stderr)
        model = None

    ctx = build_premarket_context(
        day,
        [s for s in symbols if s not in pre_excluded],
        bars,
        daily,
        news,
        model,
        cfg,
        writer=_writer(args.summarizer),
        volatility=volatility,
    )
    ctx = ctx.model_copy(update={"excluded": {**pre_excluded, **ctx.excluded}})
    path = write_context_file(ctx, args.out_dir)
    doc.update(date=day.isoformat(), session=True, path=str(path))
    doc["context"] = ctx.model_dump(mode="json")
    print(f"premarket {day.isoformat()}: {len(ctx.symbols)} symbol(s) -> {path}")
    for sym, sc in ctx.symbols.items():
        b = sc.bias
        call = f"{b.bias} {b.confidence:.1f}%" if b.bias else f"no bias ({b.note})"
        print(f"  {sym:<6} bias {call}; htf {sc.snapshot.htf_bias}; news {sc.news_count}")
    mc = ctx.market_context
    vix = "-"
    if mc.vix_close is not None:
        vix = f"{mc.vix_close:.2f} ({mc.vix_source}, {mc.vix_as_of})"
    print(f"  market VIX {vix}{'; ' + mc.vix_note if mc.vix_note else ''}; news {mc.news_count}")
    for sym, why in ctx.excluded.items():
        print(f"  {sym:<6} excluded: {why}")
    if args.archive_dir:
        key = put_context(FolderObjectStore(args.archive_dir), ctx)
        print(f"archived at {args.archive_dir}/{key}")
        doc["archived"] = f"{args.archive_dir}/{key}"
    if args.db:
        nb, ns = save_context(_open_repository(args.db), ctx)
        print(f"database: {nb} daily_bias and {ns} premarket_snapshots row(s) for {day}")
        doc["database"] = {"daily_bias": nb, "premarket_snapshots": ns}
    return 0


def _writer(name: str) -> Any:
    """The LLM paragraph writer for a provider name (ledger in data/llm_ledger.jsonl)."""
    if name == "rules":
        return None
    from llm_advisor.analysis.factory import make_llm
    from llm_advisor.analysis.ledger import JsonlLedger
    from llm_advisor.analysis.providers import resolve_chain
    from llm_advisor.core.clock import SystemClock
    from llm_advisor.core.config import load_environment, settings_from_env
    from llm_advisor.premarket.narrative import LLMContextWriter

    ledger_path = Path("data/llm_ledger.jsonl")
    resolve_chain(name, load_environment(), ledger=ledger_path, role="summarizer")  # fail fast
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    clock = SystemClock()
    llm = make_llm(name, settings_from_env(), JsonlLedger(ledger_path), clock)
    return LLMContextWriter(llm, clock, name)


def _alpaca_keys(required: bool) -> Any:
    from llm_advisor.alpaca.keys import keys_from_env
    from llm_advisor.core.errors import ConfigError

    try:
        return keys_from_env()
    except ConfigError as exc:
        if required:
            raise UserError(f"--alpaca-news=on: {exc}") from None
        return None


def _alpaca_news(keys: Any, symbols: list[str], start: Any, end: Any) -> list[Any]:
    """The watchlist's and the market's (SPY, QQQ) headlines; a failure is a warning."""
    from llm_advisor.aws.premarket_job import MARKET_NEWS_SYMBOLS
    from llm_advisor.core.config import settings_from_env
    from llm_advisor.premarket.news.alpaca import AlpacaNewsSource

    src = AlpacaNewsSource(
        keys.api_key, keys.secret_key, url_override=settings_from_env().alpaca_url_override
    )
    try:
        return src.fetch(sorted({*symbols, *MARKET_NEWS_SYMBOLS}), start, end)
    except AdvisorError as exc:
        print(f"warning: Alpaca news unavailable: {exc}", file=sys.stderr)
        return []


def _volatility(mode: str, day: date, daily: dict[str, pd.DataFrame], online: bool) -> Any:
    from llm_advisor.core.config import settings_from_env
    from llm_advisor.premarket.volatility import (
        CBOE_VIX_URL,
        CsvVixSource,
        Volatility,
        gather_volatility,
        volatility_from_daily,
    )

    if mode == "daily" or (mode == "auto" and "VIX" in daily):
        return volatility_from_daily(daily, day)
    if mode == "none" or (mode == "auto" and not online):
        return Volatility(note="no VIX source (--vix)")
    s = settings_from_env()
    source = CsvVixSource(s.vix_source_url or CBOE_VIX_URL, s.vix_timeout_seconds)
    return gather_volatility(day, source, daily.get("SPY"))


def validate_symbol_arg(s: str) -> str:
    try:
        return validate_symbol(s.strip().upper())
    except ValueError as exc:
        raise UserError(f"--symbols: {exc}") from None


def run_train_bias(args: argparse.Namespace) -> int:
    from llm_advisor.premarket.bias.evaluation import format_report
    from llm_advisor.premarket.bias.model import DEFAULT_ARTIFACT
    from llm_advisor.premarket.bias.train import load_daily_dir, train_and_evaluate

    apply_output_options(args)
    t0 = _time.perf_counter()
    years = max(1, 2027 - args.first_test_year)
    # steps: loading the files, one per yearly fold (about), the final fit
    with ProgressBar("train-bias (load, yearly folds, fit)", years + 2) as bar:
        daily = load_daily_dir(args.daily_dir)
        bar.advance()
        model, ev = train_and_evaluate(
            daily, args.first_test_year, on_fold=lambda _i: bar.advance()
        )
        bar.update(bar.total or 0)
    out = args.out or DEFAULT_ARTIFACT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model.to_json(), encoding="utf-8")
    print("\n".join(format_report(ev)))
    print(f"\nartifact {model.version} -> {out}  ({_time.perf_counter() - t0:.1f} s)")
    return 0
