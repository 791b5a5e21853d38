"""The project's replay next to its peers, in one batch of the shared peer harness.

``python -m benchmarks.peers`` runs the harness in ``../shared/bench/peers`` (beside the
repo) on its ``large`` set (500 symbols x 20 days) with the NumPy and Numba references,
vectorbt and this project's replay twice, run by this checkout's ``.venv``: through the
harness's own adapter (``engines/llm_advisor_engine.py``, engine ``llm_advisor``) and through
ours (``peer_adapter.py``, engine ``llm_advisor_own``: the harness adapter adjusted to the
replay's entry point as it is now, see its docstring). 3 timed repeats; it prints their rows
and the ratios issue 15 tracks.

Why a copy: the shared folder is read-only and its scripts create their venvs beside
themselves, so the harness is copied into a cache folder (its venvs are kept there between
runs; the scripts are refreshed each time). Only the two venv families this batch needs
(``base``, ``vbt``) are built. Ratios only mean something within one batch on one machine,
which is why all the engines always run together. Not a ``bench_*`` module: a batch takes
minutes, too long for ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT.parent / "shared" / "bench" / "peers"
ENGINES = ("numpy_ref", "numba_ref", "vectorbt", "llm_advisor", "llm_advisor_own")
OURS = ("llm_advisor", "llm_advisor_own")  # the harness's adapter, and ours (peer_adapter.py)
OWN_ADAPTER = Path(__file__).with_name("peer_adapter.py")
OWN_ENGINE = "engines/llm_advisor_own_engine.py"
RUNNER = "bench_with_own.py"  # bench.py with our adapter added to its engines
SIZE = "large"
VENVS = ("base", "vbt")  # the harness's venv families used by ENGINES (llm_advisor: ours)
SKIP_COPY = (".venv", "results", "__pycache__")  # venvs and outputs stay per copy


def default_workdir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "llm-advisor" / "peers"


def copy_harness(src: Path, dst: Path) -> None:
    """Refresh ``dst`` with the harness's files; its venvs and results are left alone.

    Files are re-created (not copied with their mode) because the source is read-only and a
    read-only copy could not be refreshed or have venvs created beside it."""
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(part.startswith(SKIP_COPY) for part in rel.parts) or not path.is_file():
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        shutil.copyfile(path, target)


def add_own_adapter(workdir: Path) -> None:
    """Our adapter (``peer_adapter.py``) as engine ``llm_advisor_own`` of the copy: written
    beside the harness's engines and registered by a small runner around ``bench.py``."""
    shutil.copyfile(OWN_ADAPTER, workdir / OWN_ENGINE)
    (workdir / RUNNER).write_text(
        "import bench\n"
        f"bench.ENGINES['llm_advisor_own'] = ('project', [{OWN_ENGINE!r}])\n"
        "bench.main()\n"
    )


def ensure_venvs(workdir: Path, python: str) -> None:
    """What the harness's setup_venvs.sh does, for the families this batch needs only."""
    for family in VENVS:
        venv = workdir / f".venv-{family}"
        req = workdir / "requirements" / f"{family}.txt"
        stamp = venv / ".installed"
        if not (venv / "bin" / "python").exists():
            subprocess.run([python, "-m", "venv", str(venv)], check=True)
        if not stamp.exists() or stamp.read_text() != req.read_text():
            print(f"peers: installing {req.name} into {venv.name}", flush=True)
            pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
            subprocess.run([*pip, "-r", str(req)], check=True)
            shutil.copyfile(req, stamp)


def run_batch(workdir: Path, out: Path, repeats: int, data_root: str, python: str) -> None:
    """One bench.py batch; its progress lines are echoed, its full log stays in ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [python, RUNNER, "--engines", ",".join(ENGINES), "--sizes", SIZE]
    cmd += ["--repeats", str(repeats), "--out", str(out), "--data-root", data_root]
    env = {**os.environ, "PROJECT_DIR": str(ROOT)}  # bench.py's "project" venv: ROOT/.venv
    print(f"peers: (cd {workdir} && PROJECT_DIR={ROOT} {' '.join(cmd)})", flush=True)
    with subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, text=True) as p:
        assert p.stdout is not None
        for line in p.stdout:
            if line.startswith(("[agree", "[rep", "Traceback", "  File")):
                print(f"  {line.rstrip()}", flush=True)
    if p.returncode != 0:
        raise SystemExit(f"peers: bench.py exited {p.returncode}; log in {out / 'raw'}")


def rate(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.1f} k"


def report(results: dict[str, Any]) -> list[str]:
    """The four engines' rows and the ratios, as markdown lines (README-ready)."""
    rows = {r["engine"]: r for r in results["summary"] if r["size"] == SIZE}
    lines = [
        "| engine | symbol-bars | trades | engine s (median) | min-max s | symbol-bars/s (engine) "
        "| wall s (median) | symbol-bars/s (wall) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ENGINES:
        r = rows.get(name)
        if r is None:
            why = results.get("skipped", {}).get(f"{name}@{SIZE}", "no successful run")
            lines.append(f"| {name} | - | - | {why} | | | | |")
            continue
        lines.append(
            f"| {name} | {r['n_bars']:,} | {r['n_trades']:,} | {r['engine_s']:.3f} | "
            f"{r['min_engine_s']:.3f}-{r['max_engine_s']:.3f} | {rate(r['engine_bars_per_s'])} | "
            f"{r['wall_s']:.2f} | {rate(r['wall_bars_per_s'])} |"
        )
    for name in OURS:
        ours = rows.get(name)
        if ours is None:
            continue
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in ours["phases"].items())
        lines += ["", f"{name} phases (medians; engine s = prep + run): {phases}"]
        for peer in ("vectorbt", "numpy_ref"):
            r = rows.get(peer)
            if r is None:
                continue
            # engine-time ratio (< 1: ours is faster) and throughput ratio (> 1: ours is
            # ahead; issue 15's "0.43x"), which differ because the replay steps only XNYS
            # sessions (19 of the 20 synthetic weekdays).
            lines.append(
                f"{name} / {peer}: engine time {ours['engine_s'] / r['engine_s']:.2f}x, "
                f"throughput {ours['engine_bars_per_s'] / r['engine_bars_per_s']:.2f}x"
            )
    return lines


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="The project's replay next to its peers (issue 15).")
    ap.add_argument("--workdir", type=Path, default=default_workdir(), help="harness copy")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--data-root",
        default=os.environ.get("PEERS_DATA", str(Path(tempfile.gettempdir()) / "peers_data")),
    )
    ap.add_argument("--python", default=shutil.which("python3") or sys.executable)
    a = ap.parse_args(argv)
    if not (HARNESS / "bench.py").is_file():
        print(f"peers: skipped, no peer harness at {HARNESS}")
        return 0
    if not (ROOT / ".venv" / "bin" / "python").exists():
        print(f"peers: skipped, no project venv at {ROOT / '.venv'} (run make install)")
        return 0
    t0 = time.perf_counter()
    a.workdir.mkdir(parents=True, exist_ok=True)
    copy_harness(HARNESS, a.workdir)
    add_own_adapter(a.workdir)
    ensure_venvs(a.workdir, a.python)
    t_batch = time.perf_counter()
    out = a.workdir / "results-now"
    run_batch(a.workdir, out, a.repeats, a.data_root, a.python)
    batch_s = time.perf_counter() - t_batch
    results = json.loads((out / "results.json").read_text())
    print("\n".join(report(results)))
    print(
        f"batch {batch_s:.0f} s ({a.repeats} repeats, {SIZE}; {time.perf_counter() - t0:.0f} s "
        f"with copy/venvs); full results in {out}"
    )
    ok = {r["engine"] for r in results["summary"] if r["size"] == SIZE}
    return 0 if ok >= set(ENGINES) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
