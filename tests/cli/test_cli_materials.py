"""`scrisk materials [NAME]`: output formats, exit codes and JSON parity with scrisk.materials.catalog."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from scrisk.materials import catalog, load_baskets
from cli_helpers import run, strip_time


def test_list_table(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "materials")
    assert code == 0 and err == ""
    for name in ("gallium", "sobejang", "rare_earths", "permanent_magnets"):
        assert name in out


def test_list_json_equals_library(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "materials", "--format", "json")
    assert code == 0
    got = json.loads(out)
    assert strip_time(got) == strip_time(catalog())
    assert [r["name"] for r in got["rows"]] == list(load_baskets())
    assert got["meta"]["scrisk_version"]


@pytest.mark.parametrize("name", ["gallium", "Rare-Earths", "sobujang", "811292"])
def test_detail_json_equals_library(monkeypatch, capsys, name):
    code, out, _ = run(monkeypatch, capsys, "materials", name, "-f", "json")
    assert code == 0
    assert strip_time(json.loads(out)) == strip_time(catalog(name))


def test_detail_table_and_md(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "materials", "sobejang")
    assert code == 0
    assert "281111" in out and "370790" in out and "392099" in out and "848620" in out
    code, out, _ = run(monkeypatch, capsys, "materials", "gallium", "--format", "md")
    assert code == 0
    assert out.startswith("### Gallium (gallium)")
    assert "| 811292 |" in out and "### Links" in out and "Sources:" in out


def test_csv_rows(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "materials", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == len(load_baskets())
    hafnium = next(r for r in rows if r["name"] == "hafnium")
    assert hafnium["hs2017_codes"] == "811292" and hafnium["hs2022_codes"] == "811231"
    code, out, _ = run(monkeypatch, capsys, "materials", "semiconductors", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["hs"] for r in rows] == [c.hs for c in load_baskets()["semiconductors"].codes]
    assert next(r for r in rows if r["hs"] == "854140")["revisions"] == "HS2017"


def test_unknown_name_exit_2_with_suggestion(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "materials", "lithum")
    assert code == 2 and out == ""
    assert "did you mean 'lithium'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_user_baskets_file(monkeypatch, capsys, tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('name = "gallium"\ntitle = "Gallium (own)"\n[[code]]\nhs = "811292"\nstage = "refined"\n'
                 'description = "Gallium, unwrought"\n', encoding="utf-8")
    code, out, _ = run(monkeypatch, capsys, "materials", "--baskets", str(p), "-f", "json")
    assert code == 0
    row = next(r for r in json.loads(out)["rows"] if r["name"] == "gallium")
    assert row["origin"] == str(p)
    code, out, _ = run(monkeypatch, capsys, "materials", "gallium", "--baskets", str(p), "-f", "json")
    got = json.loads(out)
    assert got["meta"]["basket"]["title"] == "Gallium (own)"
    assert strip_time(got) == strip_time(catalog("gallium", extra=[p]))


def test_bad_baskets_file_exit_3_names_file_and_line(monkeypatch, capsys, tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('name = "x"\n[[code]]\nhs = "811292"\nstge = "raw"\ndescription = "d"\n', encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "materials", "--baskets", str(p))
    assert code == 3 and out == ""
    assert f"{p}:4:" in err.replace("\n", "") and "'stge'" in err
    code, _, err = run(monkeypatch, capsys, "materials", "--baskets", str(tmp_path / "missing.toml"))
    assert code == 3 and "missing.toml" in err


def test_output_file(monkeypatch, capsys, tmp_path):
    target = tmp_path / "baskets.json"
    code, out, err = run(monkeypatch, capsys, "materials", "-f", "json", "-o", str(target))
    assert code == 0 and out == "" and "wrote" in err
    assert len(json.loads(target.read_text(encoding="utf-8"))["rows"]) == len(load_baskets())


def test_entry_point_unknown_material():
    out = subprocess.run([sys.executable, "-m", "scrisk", "materials", "galium"], capture_output=True, text=True)
    assert out.returncode == 2 and out.stdout == ""
    assert "did you mean 'gallium'" in out.stderr
