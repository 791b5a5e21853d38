"""Command line: python -m llm_advisor COMMAND [OPTIONS]; COMMAND --help lists its options.

Each command lives in ``llm_advisor/cli/<module>.py`` and exposes ``register(subparsers)``;
modules are imported lazily so ``--help`` stays fast and one broken optional dependency
cannot take the other commands down. A ``UserError`` prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from llm_advisor.core.errors import UserError
from llm_advisor.core.progress import close_all

# command name -> module under llm_advisor.cli
COMMANDS: dict[str, str] = {
    "replay": "replay",
    "demo": "demo",
    "db": "db",
    "premarket": "premarket",
    "train-bias": "premarket",
    "data": "data",
    "live": "live",
    "api": "api",
    "ask": "ask",
    "llm-cost": "llm_cost",
    "export-rag": "export_rag",
    "summary": "summary",
    "sweep": "sweep",
    "truth": "truth",
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llm_advisor", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help="one of:")
    wanted = argv[0] if argv and not argv[0].startswith("-") else None
    seen: set[str] = set()
    for module in COMMANDS.values():
        if module in seen or (wanted is not None and COMMANDS.get(wanted) != module):
            continue
        seen.add(module)
        try:
            mod = importlib.import_module(f"llm_advisor.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("llm_advisor.cli"):
                continue  # command not built yet
            raise
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        rc = args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        close_all()  # a bar left open (error, Ctrl-C) must not keep the cursor hidden
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
