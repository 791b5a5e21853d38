"""Run every ``benchmarks/bench_*.py`` module's ``run()`` and print its lines.

``python -m benchmarks replay storage`` runs only those. A bench that fails prints its
error and the others still run; the exit code says whether any failed.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if n.removeprefix("bench_") in argv or n in argv]
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"benchmarks.{name}")
            for line in mod.run():
                print(f"  {line}", flush=True)
        except Exception:
            failed += 1
            traceback.print_exc()
        print(f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
