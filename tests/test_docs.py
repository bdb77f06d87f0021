"""Docs are tested: every CLI command and every setting appears in README.md, and the README's
test command is exactly what CI runs."""

from __future__ import annotations

from pathlib import Path

import typer

from lawful.cli import app
from lawful.settings import SETTINGS_HELP

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _command_paths(group: typer.Typer, prefix: str = "lawful") -> list[str]:
    click_group = typer.main.get_group(group)
    paths = []
    for name, command in click_group.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            paths += [f"{prefix} {name} {child}" for child in sub]
        else:
            paths.append(f"{prefix} {name}")
    return paths


def test_every_command_is_documented_in_the_readme():
    missing = [path for path in _command_paths(app) if f"`{path}" not in README]
    assert not missing


def test_every_setting_is_documented_in_the_readme():
    assert [name for name in SETTINGS_HELP if f"`{name}`" not in README] == []


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && scripts/check"
    assert test_command in README
    assert test_command in ci
