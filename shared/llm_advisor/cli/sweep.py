"""``sweep``: a grid or seeded random search of strategy settings over replays.

    python -m llm_advisor sweep --bars-dir ../shared/data/bars_1m --start 2026-01-22 \\
        --end 2026-03-19 --grid mr_arm_z=1.0,1.2,1.4 --grid cooldown_bars=3,5 --workers 2

Writes ``results.csv`` (one row per trial), ``summary.json`` and ``report.html`` to
``--out`` and stores a ``sweep`` run with one child run per trial. ``--executor
stepfunctions`` runs the same trials on the deployed Distributed Map (docs/sweep.md).
``--from-db sweep-<id>`` writes those files again from the stored sweep and lists its trial
runs best first (the run ids the API's ``run=`` and ``replay --set`` work from).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from llm_advisor.core.config import StrategyConfig, load_environment, parse_set_args
from llm_advisor.core.errors import ConfigError, UserError

DEFAULT_DB = "sqlite:///data/llm_advisor.sqlite3"


def register(sub: Any) -> None:
    p = sub.add_parser("sweep", help="parameter sweep / walk-forward over replays")
    p.add_argument("--config", type=Path, help="sweep TOML file ([grid], [range], [set], [sweep])")
    p.add_argument("--bars-dir", help="bar directory, or s3://BUCKET/PREFIX (data upload)")
    p.add_argument("--symbols", help="comma-separated (default: every symbol of the bars)")
    p.add_argument("--start", help="first session YYYY-MM-DD")
    p.add_argument("--end", help="last session YYYY-MM-DD")
    p.add_argument("--grid", action="append", metavar="KEY=V1,V2", help="values to try")
    p.add_argument("--range", action="append", metavar="KEY=LO:HI", help="random search range")
    p.add_argument("--random", type=int, metavar="N", help="N seeded random trials (not a grid)")
    p.add_argument("--seed", type=int, help="random search seed (default 7)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="base setting (costs...)")
    p.add_argument("--objective", help="pnl (after the configured costs) or sharpe (default)")
    p.add_argument("--max-drawdown", type=float, metavar="PCT", help="ineligible above this")
    p.add_argument("--walk-forward", metavar="train=N,test=M", help="walk-forward in sessions")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local processes")
    p.add_argument(
        "--executor",
        choices=("local", "stepfunctions"),
        default="local",
        help="local: processes on this machine (default); stepfunctions: the deployed sweep",
    )
    p.add_argument("--state-machine", help="stepfunctions: the sweep state machine ARN")
    p.add_argument("--bucket", help="stepfunctions: the bucket (default ADVISOR_ARCHIVE_BUCKET)")
    p.add_argument("--prefix", default="sweeps", help="stepfunctions: key prefix (sweeps)")
    p.add_argument("--out", type=Path, default=Path("out/sweep"), help="output directory")
    p.add_argument(
        "--db",
        default=load_environment().get("ADVISOR_DB_URL", DEFAULT_DB),
        help=f"database URL to store the sweep in (default $ADVISOR_DB_URL or {DEFAULT_DB})",
    )
    p.add_argument("--no-db", action="store_true", help="do not store the sweep")
    p.add_argument("--report-from", type=Path, help="only redraw report.html from summary.json")
    p.add_argument(
        "--from-db",
        metavar="RUN_ID",
        help="rewrite --out's files from a sweep stored in --db (sweep-<id>), list its trial runs",
    )
    p.set_defaults(func=run)


def _date(value: Any, flag: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"{flag}={value!r}: expected YYYY-MM-DD") from None


def _opt(args: argparse.Namespace, options: dict[str, Any], name: str, default: Any) -> Any:
    """The flag if given, else the TOML ``[sweep]`` option, else the default."""
    v = getattr(args, name)
    if v is not None:
        return v
    return options.get(name, default)


def _plan(args: argparse.Namespace) -> dict[str, Any]:
    """Everything the sweep needs, validated before any replay runs."""
    from llm_advisor.sweep.data import DataSpec
    from llm_advisor.sweep.metrics import Objective
    from llm_advisor.sweep.space import (
        Space,
        grid_trials,
        load_toml,
        parse_grid,
        parse_ranges,
        random_trials,
    )
    from llm_advisor.sweep.walkforward import parse_spec

    space, options = load_toml(args.config) if args.config else (Space(), {"set": []})
    unknown = set(options) - {
        "set",
        "bars_dir",
        "symbols",
        "start",
        "end",
        "random",
        "seed",
        "objective",
        "max_drawdown",
        "walk_forward",
    }
    if unknown:
        raise UserError(f"--config {args.config}: unknown [sweep] option(s) {sorted(unknown)}")
    space = parse_ranges(args.range, parse_grid(args.grid, space))
    try:
        base_set = parse_set_args([*options["set"], *(args.set or [])])
        base = StrategyConfig().with_overrides(base_set)
    except ConfigError as exc:
        raise UserError(f"--set: {exc}") from None
    clash = sorted(set(base_set) & set(space.keys()))
    if clash:
        raise UserError(f"--set {clash[0]}: also swept; set it or sweep it, not both")
    n_random = _opt(args, options, "random", None)
    if n_random is None:
        trials, dropped = grid_trials(space, base)
    else:
        trials, dropped = random_trials(
            space, base, int(n_random), int(_opt(args, options, "seed", 7))
        )
    bars = _opt(args, options, "bars_dir", None)
    start, end = _opt(args, options, "start", None), _opt(args, options, "end", None)
    if not bars or not start or not end:
        raise UserError("--bars-dir, --start and --end are required (flags or [sweep] options)")
    start_d, end_d = _date(start, "--start"), _date(end, "--end")
    if end_d < start_d:
        raise UserError(f"--end={end_d} is before --start={start_d}")
    if not str(bars).startswith("s3://") and not Path(bars).is_dir():
        raise UserError(f"--bars-dir {bars}: not a directory")
    syms = _opt(args, options, "symbols", "")
    symbols = tuple(
        s.strip().upper()
        for s in (syms if isinstance(syms, list) else str(syms).split(","))
        if s.strip()
    )
    dd = _opt(args, options, "max_drawdown", None)
    objective = Objective(
        str(_opt(args, options, "objective", "sharpe")), None if dd is None else float(dd)
    )
    wf_text = _opt(args, options, "walk_forward", None)
    walk = parse_spec(str(wf_text)) if wf_text else None
    if args.workers < 1:
        raise UserError(f"--workers={args.workers}: must be >= 1")
    data = DataSpec(str(bars), start_d, end_d, symbols, {k: str(v) for k, v in base_set.items()})
    return {
        "trials": trials,
        "dropped": dropped,
        "data": data,
        "objective": objective,
        "walk": walk,
        "base": base,
    }


def _sweep_id(plan: dict[str, Any], now: datetime) -> str:
    blob = json.dumps(
        [
            [t.trial_id for t in plan["trials"]],
            plan["data"].to_json(),
            plan["objective"].name,
            plan["walk"],
        ]
    ).encode()
    return f"{hashlib.sha256(blob).hexdigest()[:8]}-{now:%Y%m%d%H%M%S}"


def run(args: argparse.Namespace) -> int:
    from llm_advisor.sweep.report import render_report

    if args.report_from is not None:
        try:
            summary = json.loads(args.report_from.read_text())
        except (OSError, ValueError) as exc:
            raise UserError(f"--report-from {args.report_from}: {exc}") from None
        out = args.report_from.parent / "report.html"
        out.write_text(render_report(summary))
        print(f"wrote {out}")
        return 0
    if args.from_db is not None:
        return _from_db(args)
    plan = _plan(args)
    data = plan["data"]
    trials = plan["trials"]
    now = datetime.now(UTC)
    sweep_id = _sweep_id(plan, now)
    note = (
        f" ({plan['dropped']} combinations dropped: they break a setting rule)"
        if plan["dropped"]
        else ""
    )
    print(f"sweep {sweep_id}: {len(trials)} trials{note}, {data.start}..{data.end}")
    base = plan["base"]
    if base.slippage_bps == 0 and base.commission_per_share == 0:
        print(
            "note: no costs set (slippage_bps=0, commission_per_share=0): P/L is before "
            "costs; add e.g. --set commission_per_share=0.005 --set slippage_bps=1"
        )
    meta = {
        "sweep_id": sweep_id,
        "bars": data.bars,
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "base": dict(data.base),
        "dropped": plan["dropped"],
        "executor": args.executor,
    }
    if args.executor == "stepfunctions":
        summary, results = _run_stepfunctions(args, plan, sweep_id, meta), None
    else:
        summary, results = _run_local(args, plan, meta)
    _write_outputs(args.out, summary)
    if not args.no_db and results is not None:
        from llm_advisor.storage.repository import open_repository
        from llm_advisor.sweep.store import record_sweep

        repo = open_repository(args.db, migrate_schema=True)
        symbols = sorted({t["symbol"] for r in results for t in r.trades}) or list(data.symbols)
        parent = record_sweep(repo, sweep_id, summary, results, data, symbols, now)
        print(f"stored run {parent} with {len(results)} trial runs in {args.db}")
    return 0


def _write_outputs(out: Path, summary: dict[str, Any]) -> None:
    from llm_advisor.sweep.report import render_report
    from llm_advisor.sweep.summary import dumps, render_text, results_csv

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.csv").write_text(results_csv(summary))
    (out / "summary.json").write_text(dumps(summary))
    (out / "report.html").write_text(render_report(summary))
    for line in render_text(summary):
        print(line)
    print(f"wrote {out / 'results.csv'}, summary.json and report.html")


def _from_db(args: argparse.Namespace) -> int:
    """A stored sweep's outputs and trial runs, without replaying anything."""
    from llm_advisor.storage.repository import open_repository
    from llm_advisor.sweep.store import load_sweep

    repo = open_repository(args.db, migrate_schema=True)
    try:
        summary, run_ids = load_sweep(repo, args.from_db)
    finally:
        repo.close()
    _write_outputs(args.out, summary)
    print(f"{len(run_ids)} trial runs of {args.from_db} in {args.db}, best first:")
    for row, run_id in zip(summary["rows"], run_ids, strict=True):
        sets = " ".join(f"{k}={v}" for k, v in row.get("settings", {}).items())
        print(
            f"  #{row.get('rank', '?')} {run_id}  trades {row.get('trades', '?')}  "
            f"P/L {row.get('pnl', '?')}  {sets}"
        )
    return 0


def _run_local(args: argparse.Namespace, plan: dict[str, Any], meta: dict[str, Any]) -> Any:
    import time

    from llm_advisor.core.progress import ProgressBar
    from llm_advisor.sweep.executors import run_pool
    from llm_advisor.sweep.summary import summarize_sweep

    trials = plan["trials"]
    t0 = time.perf_counter()
    with ProgressBar("sweep (trials)", len(trials)) as bar:
        results = run_pool(trials, plan["data"], min(args.workers, len(trials)), bar)
    secs = time.perf_counter() - t0
    meta = {
        **meta,
        "workers": args.workers,
        "wall_seconds": round(secs, 2),
        "trials_per_minute": round(len(trials) / secs * 60, 2) if secs else None,
    }
    print(
        f"{len(trials)} trials in {secs:.1f}s on {args.workers} worker(s): "
        f"{meta['trials_per_minute']} trials/minute"
    )
    return summarize_sweep(results, plan["objective"], meta, plan["walk"]), results


def _run_stepfunctions(
    args: argparse.Namespace, plan: dict[str, Any], sweep_id: str, meta: dict[str, Any]
) -> dict[str, Any]:
    from llm_advisor.aws.clients import client
    from llm_advisor.core.progress import ProgressBar
    from llm_advisor.sweep.stepfunctions import execution_input, run_stepfunctions

    env = load_environment()
    arn = args.state_machine or env.get("ADVISOR_SWEEP_STATE_MACHINE_ARN")
    bucket = args.bucket or env.get("ADVISOR_ARCHIVE_BUCKET")
    if not arn:
        raise UserError(
            "--executor stepfunctions needs --state-machine ARN (stack output "
            "SweepStateMachineArn) or ADVISOR_SWEEP_STATE_MACHINE_ARN"
        )
    if not bucket:
        raise UserError("--executor stepfunctions needs --bucket (stack output ArchiveBucketName)")
    if not plan["data"].bars.startswith("s3://"):
        raise UserError(
            f"--bars-dir {plan['data'].bars}: the Lambda workers read "
            "s3://BUCKET/PREFIX (run `data upload` first)"
        )
    payload = execution_input(
        sweep_id, bucket, args.prefix, plan["data"], plan["objective"], plan["walk"], meta
    )
    with ProgressBar("sweep (Step Functions trials)", len(plan["trials"])) as bar:
        return run_stepfunctions(
            plan["trials"], payload, arn, client("stepfunctions"), client("s3"), bar
        )
