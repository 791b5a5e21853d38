"""``python -m tests.chaos --trials N --seed S``: run the chaos experiments, print the table.

Exit status 1 when any check failed. A failure names its trial: rerun just that one with
``--only "<experiment>" --trial K`` (same seed) to reproduce it.
"""

from __future__ import annotations

import argparse
import sys
import time

from .runner import EXPERIMENTS, run_all, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--trials", type=int, default=40, help="trials per experiment")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice")
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", choices=list(EXPERIMENTS)
    )
    parser.add_argument("--trial", type=int, default=None, help="run only this trial")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error(f"--trials={args.trials}: at least 1")
    started = time.perf_counter()
    rows = run_all(
        args.trials,
        args.seed,
        args.only,
        args.trial,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(f"chaos: seed {args.seed}, {args.trials} trials per experiment\n")
    print(table(rows))
    print(f"\n{sum(r.failures for r in rows)} failures in {time.perf_counter() - started:.0f} s")
    return 1 if any(r.failures for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
