"""``make eval-chat``: the chat's accuracy, citations and latency on a fixed question set.

Two databases: the demo (``python -m llm_advisor demo`` for the week of 2025-10-27, built
once per eval run into a temporary folder, or ``--db`` to reuse one) and a replay of real
minute bars (../shared/data/bars_1m; skipped with a note when absent). Each question is
phrased in several ways and its expected answer is computed from the database by SQL written
here, independently of the chat's code (its date ranges are written out by hand for the
fixed "now"). A case passes when the answer cites exactly the expected records and states
the expected figures. Printed: accuracy per type, the share of answers with citations,
numbers not found in tool results, and latency p50/p95 (deterministic answerer, offline).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks.chat_cases import REAL_END, REAL_START, demo_cases, real_cases
from benchmarks.chat_oracle import Case, Oracle

ROOT = Path(__file__).resolve().parents[1]
DEMO_START = date(2025, 10, 27)  # a Monday: the week of the example question's October 27th
# Friday 2025-10-31 16:30 New York, after the demo week's last close.
NOW = datetime(2025, 10, 31, 20, 30, tzinfo=UTC)
REAL_BARS = ROOT.parent / "shared" / "data" / "bars_1m"
REAL_SYMBOLS = "SPY,QQQ,NVDA,META"
REAL_NOW = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)


@dataclass
class Outcome:
    case: Case
    ok: bool
    why: str | None
    ms: float
    cited: bool
    has_rows: bool
    unsupported: list[str]


def run_cases(db_url: str, now: datetime, cases: list[Case]) -> list[Outcome]:
    from llm_advisor.chat.service import ChatService
    from llm_advisor.core.clock import ManualClock
    from llm_advisor.storage import open_repository

    repo = open_repository(db_url)
    out = []
    try:
        svc = ChatService(repo, ManualClock(now))
        # once per process (a container's cold start), not per question: imports, the
        # exchange calendar's first load, the local embedding model for retrieval
        for q in ("warm up", "trades on Oct 27", "why did we trade SPY?"):
            svc.ask(q, run=cases[0].run if cases else None)
        for case in cases:
            t0 = time.perf_counter()
            ans = svc.ask(case.question, run=case.run)
            ms = (time.perf_counter() - t0) * 1000
            body = ans.to_json()
            why = case.check(body)
            rows = bool(body["data"].get("rows"))
            out.append(
                Outcome(
                    case,
                    why is None,
                    why,
                    ms,
                    bool(body["citations"]),
                    rows,
                    ans.unsupported_numbers,
                )
            )
    finally:
        repo.close()
    return out


def build_demo(folder: Path) -> Path:
    path = folder / "demo.sqlite3"
    cmd = [
        sys.executable,
        "-m",
        "llm_advisor",
        "demo",
        "--db",
        f"sqlite:///{path}",
        "--start",
        DEMO_START.isoformat(),
        "--out",
        str(folder / "demo_out"),
    ]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return path


def build_real(folder: Path) -> tuple[Path, str] | None:
    if not REAL_BARS.is_dir():
        return None
    path = folder / "real.sqlite3"
    cmd = [
        sys.executable,
        "-m",
        "llm_advisor",
        "replay",
        "--bars-dir",
        str(REAL_BARS),
        "--symbols",
        REAL_SYMBOLS,
        "--start",
        REAL_START.isoformat(),
        "--end",
        REAL_END.isoformat(),
        "--analyst",
        "rules",
        "--db",
        f"sqlite:///{path}",
        "--out",
        str(folder / "real_out"),
    ]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return path, Oracle(path).replay_run()


def report(title: str, outcomes: list[Outcome]) -> list[str]:
    lines = [f"{title}: {sum(o.ok for o in outcomes)}/{len(outcomes)} correct"]
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[o.case.kind].append(o)
    for kind, items in sorted(by.items()):
        n_ok = sum(o.ok for o in items)
        lines.append(f"  {kind:12} {n_ok:3}/{len(items):<3} {100 * n_ok / len(items):5.1f}%")
    with_rows = [o for o in outcomes if o.has_rows]
    share = 100 * sum(o.cited for o in with_rows) / max(1, len(with_rows))
    lines.append(
        f"  answers with citations: {share:.1f}% of the {len(with_rows)} answers built from "
        f"records ({len(outcomes) - len(with_rows)} had none to cite: empty result, no "
        "session, unsupported)"
    )
    bad = [n for o in outcomes for n in o.unsupported]
    lines.append(f"  numbers not found in tool results: {len(bad)} {bad[:5] if bad else ''}")
    ms = sorted(o.ms for o in outcomes)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    lines.append(f"  latency p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms (offline)")
    for o in outcomes:
        if not o.ok:
            lines.append(f"  FAIL [{o.case.kind}] {o.case.question!r}: {o.why}")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, help="reuse this demo SQLite file (else build one)")
    p.add_argument("--no-real", action="store_true", help="skip the real-data replay")
    args = p.parse_args(argv)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="eval-chat-") as tmp:
        folder = Path(tmp)
        demo = args.db or build_demo(folder)
        oracle = Oracle(demo)
        res = run_cases(f"sqlite:///{demo}", NOW, demo_cases(oracle))
        print("\n".join(report(f"demo ({len(res)} questions)", res)))
        failed += sum(not o.ok for o in res)
        real = None if args.no_real else build_real(folder)
        if real is None:
            print(f"real data: skipped ({REAL_BARS} not found or --no-real)")
        else:
            path, run = real
            res2 = run_cases(f"sqlite:///{path}", REAL_NOW, real_cases(Oracle(path), run))
            print("\n".join(report(f"real-data replay {run} ({len(res2)} questions)", res2)))
            failed += sum(not o.ok for o in res2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
