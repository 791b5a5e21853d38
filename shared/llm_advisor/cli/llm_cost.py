"""``llm-cost``: what a day of recorded LLM calls costs on each provider and model.

Sources of the calls (one of):
- ``--ledger FILE``: a JSON-lines ledger (``JsonlLedger``), e.g. one ``--bars-dir`` wrote;
- ``--db URL --date D``: the ``llm_calls`` rows created on New York day D;
- ``--bars-dir DIR --date D``: record the day now (rules analyst, no model called; see
  ``analysis.cost_day``), optionally saving it with ``--record FILE``.
``--symbols N`` keeps the calls whose prompts show N symbols (with ``--bars-dir``: the first
N symbols of the directory, or a comma-separated list). Prices come from the one dated table
``analysis/price_table.py``; tokens are estimated offline (see ``analysis.cost_model``).
"""

from __future__ import annotations

import argparse
from datetime import UTC, date
from pathlib import Path
from typing import Any

from llm_advisor.core.errors import UserError
from llm_advisor.core.progress import add_output_options, apply_output_options, json_document


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {s!r}") from None


def register(sub: Any) -> None:
    p = sub.add_parser("llm-cost", help="price a day of LLM prompts per provider and model")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--ledger", type=Path, help="JSON-lines LLM ledger to price")
    src.add_argument("--db", metavar="URL", help="database whose llm_calls to price (--date)")
    src.add_argument("--bars-dir", type=Path, help="record --date from these 1-minute bars")
    p.add_argument("--date", type=_date, help="New York day (with --db or --bars-dir)")
    p.add_argument("--symbols", help="N: calls over N symbols (--bars-dir: N or A,B,C)")
    p.add_argument("--daily-dir", type=Path, help="--bars-dir: daily bars for the biases")
    p.add_argument("--news-file", type=Path, help="--bars-dir: headlines CSV for the news")
    p.add_argument("--record", type=Path, help="--bars-dir: also write the recorded ledger")
    add_output_options(p, "print one JSON document (the cost report) on stdout")
    p.set_defaults(func=run)


def _count(symbols: str | None) -> int | None:
    if symbols is None:
        return None
    if not symbols.strip().isdigit() or int(symbols) < 1:
        raise UserError(f"--symbols={symbols!r}: expected a count >= 1")
    return int(symbols)


def _from_ledger(path: Path) -> list[Any]:
    from llm_advisor.analysis.ledger import JsonlLedger

    if not path.is_file():
        raise UserError(f"--ledger {path}: no such file")
    return JsonlLedger(path).records()


def _from_db(url: str, day: date) -> list[Any]:
    from llm_advisor.analysis.ledger import LLMCallRecord
    from llm_advisor.storage.llm_ledger import ny_day_bounds
    from llm_advisor.storage.repository import open_repository

    repo = open_repository(url)
    try:
        cols = repo._LLM_COLS
        start, end = ny_day_bounds(day)
        k = repo.codec
        try:
            with repo.db.transaction() as cur:
                cur.execute(
                    f"SELECT {', '.join(cols)} FROM llm_calls WHERE created_at >= ? AND "
                    "created_at < ? ORDER BY created_at",
                    (k.ts(start.astimezone(UTC)), k.ts(end.astimezone(UTC))),
                )
                rows = cur.fetchall()
        except Exception as exc:  # no schema, wrong database: one line, not a traceback
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"--db: cannot read llm_calls ({msg})") from None
    finally:
        repo.close()
    out = []
    for r in rows:
        d = dict(zip(cols, r, strict=True))
        d["request"] = k.json_out(d["request"])
        d["response"] = k.json_out(d["response"])
        d["cost_usd"] = k.dec_out(d["cost_usd"])
        d["decision_time"] = k.ts_out(d["decision_time"])
        d["created_at"] = k.ts_out(d["created_at"])
        out.append(LLMCallRecord.model_validate(d))
    return out


def _record(args: argparse.Namespace) -> tuple[list[Any], int | None]:
    from llm_advisor.analysis.cost_day import record_day
    from llm_advisor.analysis.ledger import InMemoryLedger, JsonlLedger
    from llm_advisor.data.barfiles import BarDirectory

    if not args.bars_dir.is_dir():
        raise UserError(f"--bars-dir {args.bars_dir}: not a directory")
    spec = (args.symbols or "5").strip()
    if spec.isdigit():
        symbols = BarDirectory(args.bars_dir).symbols()[: int(spec)]
    else:
        symbols = [s.strip().upper() for s in spec.split(",") if s.strip()]
    if not symbols:
        raise UserError(f"--bars-dir {args.bars_dir}: no symbols (--symbols={spec!r})")
    if args.record is not None and args.record.exists():
        raise UserError(f"--record {args.record}: exists; choose a new file")
    ledger = JsonlLedger(args.record) if args.record is not None else InMemoryLedger()
    rec = record_day(
        args.bars_dir,
        args.date,
        symbols,
        ledger,
        daily_dir=args.daily_dir,
        news_file=args.news_file,
    )
    print(
        f"recorded {rec.day}: {len(rec.symbols)} symbols, {rec.analyses} analyses, "
        f"{rec.validations} validations ({rec.accepted_signals} accepted signals)"
    )
    return ledger.records(), len(rec.symbols)


def run(args: argparse.Namespace) -> int:
    apply_output_options(args)
    with json_document(args.json) as doc:
        return _run(args, doc)


def _run(args: argparse.Namespace, doc: dict[str, Any]) -> int:
    from dataclasses import asdict

    from llm_advisor.analysis.cost_model import cost_report, render

    if args.ledger is not None:
        records, n = _from_ledger(args.ledger), _count(args.symbols)
    elif args.db is not None or args.bars_dir is not None:
        if args.date is None:
            raise UserError("--date is required with --db and --bars-dir")
        if args.db is not None:
            records, n = _from_db(args.db, args.date), _count(args.symbols)
        else:
            records, n = _record(args)
    else:
        raise UserError("give --ledger FILE, --db URL --date D or --bars-dir DIR --date D")
    report = cost_report(records, symbols=n)
    if not report.groups:
        where = f" over {n} symbols" if n is not None else ""
        raise UserError(f"no billed LLM calls{where} in the {len(records)} record(s) given")
    print(render(report))
    doc.update(asdict(report))
    return 0
