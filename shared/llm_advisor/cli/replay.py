"""``replay``: run sessions through the engine and write trades.csv / signals.csv."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from llm_advisor.core.config import (
    DEFAULT_WATCHLIST,
    StrategyConfig,
    load_environment,
    parse_set_args,
)
from llm_advisor.core.errors import UserError
from llm_advisor.core.progress import (
    ProgressBar,
    add_output_options,
    apply_output_options,
    json_document,
)
from llm_advisor.replay.outputs import write_outputs
from llm_advisor.replay.summary import analyst_report, render

DEFAULT_DB = "sqlite:///data/llm_advisor.sqlite3"


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {s!r}") from None


def _symbols(s: str) -> list[str]:
    return [p.strip().upper() for p in s.split(",") if p.strip()]


def analyst_chain(s: str) -> str:
    """``--analyst``: a provider of the registry or a comma-separated fallback chain."""
    from llm_advisor.analysis.providers import chain_text, parse_chain

    try:
        return chain_text(parse_chain(s))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_common(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--bars-dir", type=Path, help="directory of SYMBOL.csv.gz 1-minute bars")
    src.add_argument("--synthetic", action="store_true", help="use the seeded synthetic market")
    p.add_argument("--symbols", type=_symbols, help="comma-separated (default: all / watchlist)")
    p.add_argument("--start", type=_date, help="first session YYYY-MM-DD")
    p.add_argument("--end", type=_date, help="last session YYYY-MM-DD")
    p.add_argument("--sessions", type=int, default=5, help="synthetic: sessions (default 5)")
    p.add_argument("--seed", type=int, default=7, help="synthetic: seed (default 7)")
    p.add_argument("--daily-dir", type=Path, help="daily bars (else aggregated from minutes)")
    p.add_argument("--equity", type=float, help="starting equity (default 100000)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting")
    from llm_advisor.analysis.providers import describe

    p.add_argument(
        "--analyst",
        default="neutral",
        type=analyst_chain,
        metavar="PROVIDER[,PROVIDER...]",
        help=f"who sets the threshold multipliers (default neutral): {describe()}; "
        "a comma-separated chain falls back in order, e.g. bedrock,anthropic,rules",
    )
    p.add_argument(
        "--validator",
        default=None,
        type=analyst_chain,
        metavar="PROVIDER[,PROVIDER...]",
        help="review each signal that passed the risk guards (default: none, the spec's "
        "replay): rules, neutral, an LLM provider or a chain; shares the analyst's budget",
    )
    p.add_argument(
        "--ledger",
        type=Path,
        default=Path("data/llm_ledger.jsonl"),
        help="JSON-lines record of every LLM call (the replay provider answers from it; "
        "default data/llm_ledger.jsonl)",
    )
    p.add_argument("--news-file", type=Path, help="headlines CSV for the analyst's news summary")


def register(sub: Any) -> None:
    p = sub.add_parser("replay", help="replay sessions through the engine")
    add_common(p)
    p.add_argument("--out", type=Path, default=Path("out/replay"), help="output directory")
    p.add_argument(
        "--db",
        default=load_environment().get("ADVISOR_DB_URL", DEFAULT_DB),
        help=f"database URL to store the run in (default $ADVISOR_DB_URL or {DEFAULT_DB})",
    )
    p.add_argument("--no-db", action="store_true", help="do not store the run")
    p.add_argument(
        "--no-columnar",
        action="store_true",
        help="read --bars-dir file by file instead of through its columnar store "
        "(converted on first read; see `data convert`)",
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help="skip report.html (and compare.html): the CSVs only, a little faster",
    )
    add_output_options(p, "print one JSON document (summary, files, run id) on stdout")
    p.add_argument(
        "--compare",
        action="store_true",
        help="neutral vs analyst vs analyst shuffled in time (and, with --validator, the "
        "analyst with validation on), side by side",
    )
    p.set_defaults(func=run)


def build_config(args: argparse.Namespace) -> StrategyConfig:
    overrides = parse_set_args(args.set)
    if args.equity is not None:
        overrides["starting_equity"] = str(args.equity)
    return StrategyConfig().with_overrides(overrides)


def load_inputs(args: argparse.Namespace) -> Any:
    from llm_advisor.replay import inputs

    if args.synthetic:
        start = args.start or date(2026, 3, 2)
        return inputs.synthetic(
            args.symbols or list(DEFAULT_WATCHLIST), start, args.sessions, seed=args.seed
        )
    if args.bars_dir is None:
        raise UserError("give --bars-dir DIR or --synthetic")
    if args.start is None or args.end is None:
        raise UserError("--start and --end are required with --bars-dir")
    if args.end < args.start:
        raise UserError(f"--end={args.end} is before --start={args.start}")
    if getattr(args, "no_columnar", False):
        return inputs.from_directory(
            args.bars_dir, args.symbols, args.start, args.end, args.daily_dir
        )
    return inputs.from_columnar(
        args.bars_dir,
        args.symbols,
        args.start,
        args.end,
        args.daily_dir,
        note=lambda line: print(line, file=sys.stderr),
    )


def resolve_analyst(name: str, ledger: Path, role: str = "analyst") -> str:
    """The chain that can run here: stops with one line when a provider lacks credentials
    (or replay its ledger) and nothing after it can answer; says which were skipped."""
    from llm_advisor.analysis.providers import chain_text, resolve_chain

    resolved = resolve_chain(name, load_environment(), ledger=ledger, role=role)
    note = resolved.note(role)
    if note:
        print(note, file=sys.stderr)
    return chain_text(resolved.usable)


def make_advisors(
    name: str, validator: str | None, config: StrategyConfig, ledger: Path
) -> tuple[Any, Any]:
    """The analyst (None for neutral) and the validator (None unless asked), sharing one
    ledger and, for LLM providers, the same guarded clients (one daily budget)."""
    if name == "neutral" and validator is None:
        return None, None
    from llm_advisor.analysis.factory import make_analyst as factory
    from llm_advisor.analysis.factory import make_llms, make_validator
    from llm_advisor.analysis.ledger import JsonlLedger
    from llm_advisor.analysis.providers import parse_chain
    from llm_advisor.core.clock import SystemClock
    from llm_advisor.core.config import settings_from_env

    settings = settings_from_env()
    ledger.parent.mkdir(parents=True, exist_ok=True)
    led, clock = JsonlLedger(ledger), SystemClock()
    names = parse_chain(name) + (parse_chain(validator) if validator else ())
    llms = make_llms(tuple(dict.fromkeys(names)), settings, led, clock)
    analyst = None if name == "neutral" else factory(name, settings, config, led, clock, llm=llms)
    checker = None
    if validator is not None:
        checker = make_validator(validator, settings, config, led, clock, llm=llms)
        if checker is None:
            print("note: validation_enabled=false: --validator is ignored", file=sys.stderr)
    return analyst, checker


def make_analyst(name: str, config: StrategyConfig, ledger: Path) -> Any:
    return make_advisors(name, None, config, ledger)[0]


def premarket_hook(args: argparse.Namespace, inp: Any) -> Any:
    """Biases and news for the analyst, from the premarket step's own functions."""
    from llm_advisor.premarket.bias.model import load_bias_model
    from llm_advisor.premarket.news.files import read_news_csv
    from llm_advisor.replay.premarket import ReplayPremarket

    news = read_news_csv(args.news_file) if args.news_file else []
    return ReplayPremarket(list(inp.bars), inp.daily, load_bias_model(), news)


def contamination_note(name: str, sessions: list[date]) -> str:
    from llm_advisor.analysis.factory import session_contamination
    from llm_advisor.core.config import settings_from_env

    info = session_contamination(name, settings_from_env(), sessions)
    flagged = info["contaminated_sessions"]
    if not flagged:
        return ""
    return (
        f"WARNING: {len(flagged)} of {len(sessions)} sessions predate {info['model']}'s "
        f"knowledge cutoff ({info['knowledge_cutoff']}): its advice on them may reflect "
        "what it learned about those days (look-ahead). Judge the LLM on later sessions."
    )


def run(args: argparse.Namespace) -> int:
    apply_output_options(args)
    with json_document(args.json) as doc:
        return _run(args, doc)


def _run(args: argparse.Namespace, doc: dict[str, Any]) -> int:
    from functools import partial

    from llm_advisor.replay.runner import run_replay

    config = build_config(args)
    args.analyst = resolve_analyst(args.analyst, args.ledger)  # before any work: fail fast
    if args.validator is not None:
        args.validator = resolve_analyst(args.validator, args.ledger, "validator")
    inp = load_inputs(args)
    if inp.no_bars:  # some symbols, not all: say so rather than replay them as "no trades"
        print(
            f"warning: no bars from {inp.start} to {inp.end} for {','.join(inp.no_bars)} "
            f"in {args.bars_dir}; they cannot trade in this replay",
            file=sys.stderr,
        )
    analyst, validator = make_advisors(args.analyst, args.validator, config, args.ledger)
    analyst = with_call_bar(analyst, args.analyst, config, inp.start, inp.end)
    advised = analyst is not None or validator is not None
    pre = premarket_hook(args, inp) if advised else None
    if args.compare:
        from llm_advisor.analysis.attribution import compare

        if analyst is None:
            raise UserError("--compare needs an analyst other than neutral (see --analyst)")
        from llm_advisor.replay.report import CompareRecorder, write_compare

        recorder = CompareRecorder(partial(run_replay, premarket=pre, analyst_name=args.analyst))
        runner, compare_bar = counted_runs(recorder, 3 if validator is None else 4)
        report = compare(
            config,
            inp.bars,
            inp.start,
            inp.end,
            analyst,
            daily=inp.daily,
            analyst_name=args.analyst,
            run_replay=runner,
            validator=validator,
            validator_name=args.validator,
        )
        compare_bar.close()
        print(report.render())
        note = contamination_note(args.analyst, report.sessions)
        if note:
            print(note)
        runs = recorder.labelled([r.label for r in report.runs])
        if not args.no_report:
            preload_report_bars(inp.bars, [r for _, r in runs])
        page = write_compare(args.out, runs, report.render(), inp.bars, report=not args.no_report)
        print(f"wrote {len(runs)} runs to {args.out}/" + (f"; open {page}" if page else ""))
        doc.update(compare=asdict(report), warnings=[note] if note else [])
        return 0
    result = run_replay(
        config,
        inp.bars,
        inp.start,
        inp.end,
        analyst,
        validator,
        daily=inp.daily,
        analyst_name=args.analyst,
        validator_name=args.validator,
        premarket=pre,
    )
    write_outputs(args.out, result.trades, result.signals, result.summary)
    print(f"replay {inp.source} {inp.start}..{inp.end} symbols {','.join(result.symbols)}")
    print(render(result.summary))
    for line in analyst_report(result.advices):
        print(line)
    if result.validator:
        vetoed = sum(1 for v in result.validations if v.verdict == "reject")
        print(f"validator {result.validator}: {len(result.validations)} verdicts, {vetoed} vetoed")
    note = contamination_note(args.analyst, result.sessions)
    if note:
        print(note)
    print(f"wrote {args.out / 'trades.csv'} and {args.out / 'signals.csv'}")
    report_file = None
    if not args.no_report:
        from llm_advisor.replay.report import write_report

        preload_report_bars(inp.bars, [result])
        report_file = write_report(args.out, result, inp.bars)
        print(f"report: {report_file}")
    doc.update(
        source=inp.source,
        start=inp.start,
        end=inp.end,
        symbols=result.symbols,
        analyst=result.analyst,
        summary=result.summary,
        files=[str(args.out / "trades.csv"), str(args.out / "signals.csv")]
        + ([str(report_file)] if report_file else []),
        warnings=[note] if note else [],
        stored_run=None,
    )
    if not args.no_db:
        from llm_advisor.storage.replay_store import record_replay
        from llm_advisor.storage.repository import open_repository

        repo = open_repository(args.db, migrate_schema=True)
        run_id = record_replay(repo, result)
        print(f"stored run {run_id} in {args.db}")
        doc["stored_run"] = run_id
    return 0


def preload_report_bars(bars: Any, results: list[Any]) -> None:
    """A replay of ``--bars-dir`` streams the store and keeps no frames; the report charts
    some symbol-days and reads those symbols' bars: one pass over the store for all of them
    rather than one pass per symbol."""
    from llm_advisor.replay.store_source import StoreBars

    if not isinstance(bars, StoreBars):
        return
    from llm_advisor.replay.report_data import MAX_SYMBOL_DAYS, _pick_symbol_days

    picked = {sym for r in results for sym, _ in _pick_symbol_days(r, MAX_SYMBOL_DAYS)[0]}
    bars.preload(sorted(picked))


def counted_runs(run: Any, runs: int) -> tuple[Any, ProgressBar]:
    """``--compare`` runs several replays: one bar counts them (each has its own below)."""
    bar = ProgressBar(f"compare ({runs} replays)", runs)

    def counted(*a: Any, **kw: Any) -> Any:
        try:
            return run(*a, **kw)
        finally:
            bar.advance()

    return counted, bar


class _CallCounter:
    """An LLM analyst seen through a bar of its calls: a session of an LLM replay takes
    minutes (one call every analysis interval), so counting sessions alone looks stuck."""

    def __init__(self, inner: Any, bar: ProgressBar) -> None:
        self._inner, self._bar = inner, bar

    def analyze(self, view: Any) -> Any:
        try:
            return self._inner.analyze(view)
        finally:
            self._bar.advance()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def with_call_bar(analyst: Any, name: str, config: StrategyConfig, start: date, end: date) -> Any:
    """``analyst`` wrapped in a call counter when an LLM answers (not neutral or rules)."""
    if analyst is None or name in ("neutral", "rules"):
        return analyst
    from llm_advisor.core.calendar import sessions_between
    from llm_advisor.live.engine import session_for_config
    from llm_advisor.live.schedule import analysis_times

    try:
        days = sessions_between(start, end)
    except ValueError:  # outside the calendar: the replay itself says so, in one line
        return analyst
    calls = sum(len(analysis_times(session_for_config(d, config), config)) for d in days)
    return _CallCounter(analyst, ProgressBar(f"{name} calls", calls))
