"""Every option of every command says what it does, in plain text (no RST markup), and the
commands a script calls print one clean JSON document with --json."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_advisor.__main__ import COMMANDS, build_parser, main


def _parsers(
    parser: argparse.ArgumentParser, path: str = "llm_advisor"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def _everything() -> list[tuple[str, argparse.ArgumentParser]]:
    return list(_parsers(build_parser([])))


def test_every_command_is_in_the_tree() -> None:
    names = {path.split()[1] for path, _ in _everything() if len(path.split()) > 1}
    assert set(COMMANDS) <= names


def test_every_option_has_help() -> None:
    missing = [
        f"{path} {'/'.join(a.option_strings) or a.dest}"
        for path, parser in _everything()
        for a in parser._actions
        if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()
    ]
    assert missing == []


def test_no_help_text_shows_rst_backticks() -> None:
    texts: list[tuple[str, str]] = []
    for path, parser in _everything():
        texts += [(f"{path} description", parser.description or ""), (path, parser.epilog or "")]
        for a in parser._actions:
            texts.append((f"{path} {a.option_strings or a.dest}", a.help or ""))
            if isinstance(a, argparse._SubParsersAction):
                texts += [(f"{path} {c.dest}", c.help or "") for c in a._choices_actions]
        texts.append((f"{path} --help", parser.format_help()))
    assert [where for where, text in texts if "``" in text] == []


@pytest.mark.parametrize("command", ["replay", "demo", "premarket", "llm-cost", "export-rag"])
def test_script_facing_commands_take_quiet_and_json(command: str) -> None:
    parser = build_parser([command])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    flags = {f for a in sub.choices[command]._actions for f in a.option_strings}
    assert {"--quiet", "--json"} <= flags


def test_replay_json_is_the_only_thing_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    rc = main(["replay", "--synthetic", "--sessions", "1", "--no-db", "--out", str(out), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)  # one document, nothing around it
    assert doc["analyst"] == "neutral" and doc["summary"]["sessions"] == 1
    assert doc["files"][:2] == [str(out / "trades.csv"), str(out / "signals.csv")]
    assert (out / "trades.csv").is_file()
