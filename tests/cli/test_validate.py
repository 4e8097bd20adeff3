"""`scrisk validate`: exit codes 0/1/3, JSON keys, formats, quarantine, one-line errors without tracebacks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import run

from scrisk.cli import main

CLEAN = "year,exporter,importer,hs,value_usd,qty_kg\n2022,CHN,KOR,811292,1000,10\n2022,JPN,KOR,811292,500,\n"
DIRTY = CLEAN + "2022,USA,KOR,811292,-5,1\n2022,XXQ,KOR,811292,7,1\n2022,DEU,KOR,81A292,3,1\n"
WORLD = "year,exporter,importer,hs,value_usd\n"


@pytest.fixture
def clean(tmp_path):
    p = tmp_path / "clean.csv"
    p.write_text(CLEAN)
    return p


@pytest.fixture
def dirty(tmp_path):
    p = tmp_path / "dirty.csv"
    p.write_text(DIRTY)
    return p


def test_clean_file_exits_0_with_json_contract(monkeypatch, capsys, clean):
    code, out, err = run(monkeypatch, capsys, "validate", str(clean), "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    for key in ("rows_read", "rows_accepted", "rows_rejected", "reasons", "value_usd_accepted", "years", "meta"):
        assert key in r
    assert (r["rows_read"], r["rows_accepted"], r["rows_rejected"]) == (2, 2, 0)
    assert r["value_usd_accepted"] == 1500.0 and r["years"] == [2022] and r["reasons"] == {}
    for key in ("inputs", "hs_revision", "source_format", "scrisk_version"):
        assert key in r["meta"]
    assert r["meta"]["inputs"] == [str(clean)] and r["status"] == "clean"


def test_defects_exit_1_and_quarantine(monkeypatch, capsys, dirty, tmp_path):
    q = tmp_path / "bad.csv"
    code, out, err = run(monkeypatch, capsys, "validate", str(dirty), "-f", "json", "--quarantine", str(q))
    assert code == 1
    r = json.loads(out)
    assert r["rows_read"] == r["rows_accepted"] + r["rows_rejected"] == 5
    assert r["reasons"] == {"malformed HS code": 1, "negative value": 1, "unknown country code": 1}
    assert r["unknown_codes"] == [{"code": "XXQ", "value_usd": 7.0, "share": pytest.approx(7.0 / 1510.0)}]  # the -5 is no share
    assert "wrote 3 rejected rows" in err
    rows = list(csv.DictReader(q.open(encoding="utf-8")))
    assert [(x["line"], x["reason"]) for x in rows] == [
        ("4", "negative value"),
        ("5", "unknown country code"),
        ("6", "malformed HS code"),
    ]
    assert rows[0]["file"] == str(dirty) and rows[0]["value_usd"] == "-5" and rows[0]["kind"] == "defect"


def test_structural_only_exits_0(monkeypatch, capsys, tmp_path):
    p = tmp_path / "ct.csv"
    p.write_text("reporter,partner,cmd,flow,value,netwgt\n410,156,811292,M,10,1\n410,0,811292,M,10,1\n"
                 "410,156,811292,M,4,1\n")
    code, out, _ = run(monkeypatch, capsys, "validate", str(p), "--year", "2024", "-f", "json")
    r = json.loads(out)
    assert code == 0 and r["status"] == "structural drops only"
    assert r["structural"] == {"reporter-to-World total": 1, "duplicate breakdown row": 1} and r["defects"] == {}


def test_csv_md_and_table_formats(monkeypatch, capsys, dirty, tmp_path):
    code, out, _ = run(monkeypatch, capsys, "validate", str(dirty), "-f", "csv")
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["reason"] == "(accepted)" and sum(int(x["rows"]) for x in rows) == 5
    code, out, _ = run(monkeypatch, capsys, "validate", str(dirty), "-f", "md")
    assert "| negative value | defect | 1 |" in out
    code, out, _ = run(monkeypatch, capsys, "validate", str(dirty))
    assert "negative value" in out and "accepted 2" in out
    target = tmp_path / "out.json"
    code, out, err = run(monkeypatch, capsys, "validate", str(dirty), "-f", "json", "-o", str(target))
    assert code == 1 and out == "" and json.loads(target.read_text())["rows_rejected"] == 3


def test_reader_options_reach_the_reader(monkeypatch, capsys, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("i,j,cmd,value\nCHN,KOR,811292,1.5\n")
    code, out, err = run(monkeypatch, capsys, "validate", str(p), "--columns", "exporter=i,importer=j,hs=cmd,value=value",
                         "--year", "2024", "--value-unit", "kusd", "--source", "tidy", "-f", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["value_usd_accepted"] == 1500.0 and r["years"] == [2024]
    assert r["meta"]["parameters"]["value_unit"] == "kusd"


def test_bundled_example_without_files(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "validate", "-f", "json")
    r = json.loads(out)
    assert code == 0, err
    assert r["rows_read"] == r["rows_accepted"] > 0


def _subprocess(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "scrisk", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(
    "content, hint",
    [(b"", "empty"), (b"\x00\x01garbage\x00\xff", "binary"), (b"name,age\nbob,4\n", "--columns")],
)
def test_unreadable_input_exits_3_with_one_line(tmp_path, content, hint):
    p = tmp_path / "in.csv"
    p.write_bytes(content)
    out = _subprocess("validate", str(p))
    assert out.returncode == 3
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(p) in lines[0] and hint in lines[0]
    assert out.stdout == ""


def test_missing_file_exits_3(tmp_path):
    out = _subprocess("validate", str(tmp_path / "nope.csv"))
    assert out.returncode == 3 and "not found" in out.stderr and "Traceback" not in out.stderr


def test_bad_option_exits_2(monkeypatch, capsys, clean):
    code, _, err = run(monkeypatch, capsys, "validate", str(clean), "--comtrade-side", "sideways")
    assert code == 2 and "--comtrade-side 'sideways' is not one of both, imports, exports" in err
    code, _, err = run(monkeypatch, capsys, "validate", str(clean), "--source", "excel")
    assert code == 2 and "--source" in err


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=1, max_size=400))
def test_cli_on_garbage_never_shows_a_traceback(data):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "garbage.bin"
        p.write_bytes(data)
        err = io.StringIO()
        import contextlib

        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            sys_argv = sys.argv
            sys.argv = ["scrisk", "validate", str(p)]
            try:
                main()
            except SystemExit as exc:
                code = int(exc.code or 0)
            finally:
                sys.argv = sys_argv
        assert code in (0, 1, 3)
        assert "Traceback" not in err.getvalue()
        if code == 3:
            assert len([x for x in err.getvalue().splitlines() if x.strip()]) == 1
