"""Run the hostile-input corpus (cases.py): exact exit codes, one error line, no traceback, rows that add up.

The cases run in-process behind the CLI's own error boundary
(:func:`scrisk.cli.boundary.main_with_boundary`, what ``scrisk`` runs), which
is what makes a corpus of more than 100 command lines quick.
:func:`test_a_true_process_agrees_with_the_in_process_run` runs a few of
them as real ``python -m scrisk`` processes and checks that nothing differs:
exit code, the one stderr line, no traceback, the row accounting.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import BACI_NAME, CASES, CC, Case  # noqa: E402

from scrisk.cli import app  # noqa: E402
from scrisk.cli.boundary import main_with_boundary  # noqa: E402


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run scrisk in-process behind its error boundary; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as ei:
        main_with_boundary(app, argv)
    out, err = capsys.readouterr()
    return int(ei.value.code or 0), out, err


def materialise(case: Case, folder: Path) -> list[str]:
    """Write the case's files into ``folder``; return its command line with the paths filled in."""
    names = {"dir": str(folder), "long": str(folder / ("x" * 300 + ".csv"))}
    for name, data in case.files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        names[name] = str(p)
        names[name.split(".")[0]] = str(folder / name.split(".")[0])
    if BACI_NAME in case.files:
        (folder / "country_codes_V202401.csv").write_bytes(CC)
        names["b"] = str(folder / BACI_NAME)
    return [re.sub(r"\{(\w+)\}", lambda m: names[m.group(1)], a) for a in case.args]


def _read_of(doc: dict) -> dict:
    """The row accounting of a JSON result (``validate`` puts it at the top, other commands in ``meta.read``)."""
    return doc if "rows_read" in doc else doc["meta"]["read"]


def test_the_corpus_covers_at_least_100_kinds_across_every_command():
    assert len({c.kind for c in CASES}) == len(CASES) >= 100
    commands = {c.args[0] for c in CASES}
    assert {"validate", "analyze", "shock", "check", "diff", "graph", "report", "materials", "cache"} <= commands


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_hostile_input(case: Case, tmp_path, capsys):
    argv = materialise(case, tmp_path)
    if case.rows is not None:
        argv += ["--format", "json"]
    code, out, err = run_cli(argv, capsys)
    assert "Traceback" not in err and "Traceback" not in out
    assert "unexpected" not in err, err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == case.exit, f"exit {code}, wanted {case.exit}; stderr: {err}"
    if case.message is None:
        assert errors == [], err
    else:
        assert len(errors) == 1, err
        assert re.search(case.message, errors[0]), errors[0]
        assert len([ln for ln in err.splitlines() if ln.strip()]) == 1, err  # nothing but the one line
    if case.rows is not None:
        read = _read_of(json.loads(out))
        got = (read["rows_read"], read["rows_accepted"], read["rows_rejected"])
        assert got == case.rows
        assert read["rows_read"] == read["rows_accepted"] + read["rows_rejected"]
        assert sum(read["reasons"].values()) == read["rows_rejected"]


PARITY = ["unknown option", "policy unknown key", "negative value", "CR-only line endings"]


@pytest.mark.parametrize("kind", PARITY)
def test_a_true_process_agrees_with_the_in_process_run(kind, tmp_path, capsys):
    case = next(c for c in CASES if c.kind == kind)
    argv = materialise(case, tmp_path)
    if case.rows is not None:
        argv += ["--format", "json"]
    code, out, err = run_cli(argv, capsys)
    env = {**os.environ, "COLUMNS": "200"}
    r = subprocess.run([sys.executable, "-m", "scrisk", *argv], capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr
    assert (r.returncode, r.stderr) == (code, err) == (case.exit, err)
    if case.rows is not None:
        keys = ("rows_read", "rows_accepted", "rows_rejected", "reasons")
        assert [_read_of(json.loads(r.stdout))[k] for k in keys] == [_read_of(json.loads(out))[k] for k in keys]
    else:
        assert r.stdout == out
