"""Docs that cannot drift: every command has help text and is documented in the README; the quick start is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrisk.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = [c.name for c in app.registered_commands]


def test_every_command_is_registered():
    assert sorted(COMMANDS) == ["analyze", "check", "chokepoints", "complement", "convert", "diff", "graph",
                                "leverage", "materials", "partner", "production", "report", "shock", "supply-risk",
                                "validate"]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_is_in_the_readme(name):
    cmd = next(c for c in app.registered_commands if c.name == name)
    assert (cmd.callback.__doc__ or "").strip(), f"{name} has no help text"
    assert f"scrisk {name}" in README


def test_readme_quick_start_has_exactly_two_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in section.split("```sh")[1:]]
    commands = [b.split("```", 1)[0].strip() for b in blocks]
    assert len(commands) == 2
    assert commands[0].endswith("scrisk analyze")
    assert "python -m pytest" in commands[1]


@pytest.mark.parametrize("name", ["validate", "analyze", "graph", "shock", "check", "diff", "report", "chokepoints",
                                  "supply-risk", "leverage", "complement", "partner"])
def test_every_reading_command_takes_the_shared_reader_options(name):
    import typer.main

    from scrisk.cli.options import READER_FLAGS

    click_cmd = typer.main.get_command(app).commands[name]
    opts = {o for p in click_cmd.params for o in getattr(p, "opts", [])}
    for flag in READER_FLAGS:
        assert "--" + flag.replace("_", "-") in opts, f"{name} lacks --{flag}"
    assert "--year" in opts or name == "diff"
