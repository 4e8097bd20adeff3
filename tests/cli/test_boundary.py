"""The CLI error boundary: one stderr line, the error's exit code, no traceback unless --debug."""

from __future__ import annotations

import subprocess
import sys


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "scrisk", *args], capture_output=True, text=True, env=env)


def test_error_text_with_brackets_reaches_the_user_intact(tmp_path):
    pol = tmp_path / "p.toml"
    pol.write_text('max_top_share = 0.9\n[[rule]]\nname = "x"\nimporter = "KOR"\nhs = ["811292"]\nmax_top_shar = 0.9\n')
    r = _run("check", "--policy", str(pol))
    assert r.returncode == 3
    assert "inside a [[rule]] table" in r.stderr and "max_top_share" in r.stderr and f"{pol}:1" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_file_exits_3_with_one_line_and_debug_shows_traceback(tmp_path):
    missing = tmp_path / "nope.csv"
    r = _run("validate", str(missing))
    assert r.returncode == 3 and str(missing) in r.stderr and "Traceback" not in r.stderr
    r = _run("validate", str(missing), "--debug")
    assert "Traceback" in r.stderr


def test_bad_option_is_a_usage_error():
    r = _run("analyze", "--no-such-option")
    assert r.returncode == 2


def test_the_click_command_is_built_once_per_app_and_again_when_the_app_grows(capsys):
    import pytest
    import typer

    from scrisk.cli.boundary import _click_command, main_with_boundary

    app = typer.Typer()

    @app.command()
    def one() -> None:
        print("one")

    @app.command()
    def two() -> None:
        print("two")

    first = _click_command(app)
    assert _click_command(app) is first  # reused: Typer rebuilds it from the signatures on every call
    with pytest.raises(SystemExit) as ei:
        main_with_boundary(app, ["one"])
    assert ei.value.code == 0 and capsys.readouterr().out == "one\n"

    @app.command()
    def three() -> None:
        print("three")

    with pytest.raises(SystemExit) as ei:
        main_with_boundary(app, ["three"])
    assert ei.value.code == 0 and capsys.readouterr().out == "three\n" and _click_command(app) is not first


def test_engine_out_of_memory_is_one_line_naming_the_fix(tmp_path):
    import os
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "example_flows.csv"
    env = {**os.environ, "SCRISK_CACHE_DIR": str(tmp_path / "cache")}
    r = _run("analyze", str(example), "--memory-limit", "1MB", "--no-cache", env=env)
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "ran out of memory" in r.stderr and "--memory-limit" in r.stderr and "unexpected" not in r.stderr
