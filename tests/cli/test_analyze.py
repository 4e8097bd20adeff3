"""`scrisk analyze`: the bundled example, JSON parity with the library, formats, reader options, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from scrisk.analysis import CONTRACT_COLUMNS, analyze
from scrisk.api import load_flows
from scrisk.io.options import ReadOptions
from cli_helpers import run, strip_time


def test_no_arguments_ranks_the_bundled_example(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "analyze")
    assert code == 0
    assert "Import dependencies, 2024" in out
    lib = analyze(load_flows()).to_dict()
    first = lib["rows"][0]
    # the table's first row and its reason are the library's first row
    assert f"1. {first['importer']} {first['hs']}" in out
    assert first["why"] in out.replace("\n", " ") or first["why"][:40] in out
    assert "Traceback" not in err


def test_json_equals_the_library_result(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "analyze", "--format", "json")
    assert code == 0
    assert strip_time(json.loads(out)) == strip_time(analyze(load_flows()).to_dict())


def test_json_parity_with_options(monkeypatch, capsys):
    args = ["analyze", "--importer", "KOR,JPN", "--material", "gallium", "--material", "sobejang", "--friendly",
            "G7,EU27", "--screen", "--hhi-scale", "10000", "--min-import-usd", "5e6", "--sort", "top_share",
            "--top", "7", "--format", "json"]
    code, out, _ = run(monkeypatch, capsys, *args)
    assert code == 0
    got = json.loads(out)
    table = load_flows(None, ReadOptions(hs=("811292", "281111", "370790", "392099")))
    expected = analyze(load_flows(), importers=["KOR,JPN"], material=["gallium", "sobejang"], friendly="G7,EU27",
                       screen=True, hhi_scale=10000, min_import_usd=5e6, sort="top_share", top=7).to_dict()
    # the CLI pushes the material's codes into the reader: same rows, fewer rows read
    assert strip_time(got)["rows"] == strip_time(expected)["rows"]
    assert got["meta"]["parameters"] == expected["meta"]["parameters"]
    assert len(got["rows"]) == 7 and all(r["importer"] in ("KOR", "JPN") for r in got["rows"])
    shares = [r["top_share"] for r in got["rows"] if "below_min_value" not in r["flags"]]
    assert shares == sorted(shares, reverse=True)
    assert all(r["hhi"] > 1 for r in got["rows"])  # 0-10,000 scale
    assert len(table) < len(load_flows())


def test_csv_and_md(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "analyze", "--importer", "KOR", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[: len(CONTRACT_COLUMNS)] == list(CONTRACT_COLUMNS)
    lib = analyze(load_flows(), importers="KOR").to_dict()["rows"]
    assert [(r["rank"], r["hs"]) for r in rows] == [(str(r["rank"]), r["hs"]) for r in lib]
    assert float(rows[0]["top_share"]) == lib[0]["top_share"]  # full precision in csv
    assert rows[0]["flags"] == ";".join(lib[0]["flags"])
    code, out, _ = run(monkeypatch, capsys, "analyze", "--importer", "KOR", "--format", "md", "--top", "3")
    assert code == 0
    assert out.startswith("### Import dependencies, 2024")
    assert out.count("\n| ") == 1 + 3  # header + 3 rows (the separator line starts with "|-")


def test_output_file(monkeypatch, capsys, tmp_path):
    target = tmp_path / "out.json"
    code, out, err = run(monkeypatch, capsys, "analyze", "--format", "json", "--output", str(target))
    assert code == 0 and out == ""
    assert "wrote" in err
    assert json.loads(target.read_text())["rows"]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--material", "lithum"], "did you mean 'lithium'"),
        (["--importer", "KORR"], "unknown country"),
        (["--year", "2023"], "2023"),
        (["--hhi-scale", "100"], "--hhi-scale"),
        (["--sort", "hhi_wgi"], "needs --wgi"),
        (["--hs", "81129"], "not an HS code"),
    ],
)
def test_usage_errors_exit_2_with_one_line(monkeypatch, capsys, args, needle):
    code, out, err = run(monkeypatch, capsys, "analyze", *args)
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert out == ""


def test_missing_file_exits_3(monkeypatch, capsys, tmp_path):
    code, _, err = run(monkeypatch, capsys, "analyze", str(tmp_path / "nope.csv"))
    assert code == 3 and "nope.csv" in err


def test_wgi_option(monkeypatch, capsys, tmp_path):
    w = tmp_path / "wgi.csv"
    w.write_text("iso3,score\nCHN,5.7\nJPN,2.4\nUSA,2.8\nBRA,5.5\n")
    code, out, err = run(monkeypatch, capsys, "analyze", "--importer", "KOR", "--wgi", str(w), "--sort", "hhi_wgi",
                         "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["meta"]["wgi"]["layout"] == "tidy-score" and d["meta"]["parameters"]["wgi"] == str(w)
    vals = [r["hhi_wgi"] for r in d["rows"] if "below_min_value" not in r["flags"] and r["hhi_wgi"] is not None]
    assert vals == sorted(vals, reverse=True)
    assert "without a WGI score" in err  # suppliers not in the 4-country file are reported, not dropped


def test_reader_options_on_real_data(monkeypatch, capsys, atlas):
    """baci_2024.csv is a tidy file without a year column: --columns, --year and --value-unit make it readable."""
    path = atlas / "baci_2024.csv"
    code, out, err = run(monkeypatch, capsys, "analyze", str(path), "--columns",
                         "exporter=i,importer=j,hs=cmd,value=value", "--year", "2024", "--value-unit", "usd",
                         "--importer", "KOR", "--hs", "811292", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    raw = pd.read_csv(path, dtype={"cmd": str}, keep_default_na=False)
    by = raw[(raw["j"] == "KOR") & (raw["cmd"] == "811292")].groupby("i")["value"].sum()
    r = d["rows"][0]
    assert (r["importer"], r["hs"]) == ("KOR", "811292")
    assert r["import_value_usd"] == pytest.approx(by.sum(), rel=1e-12)
    assert r["top_share"] == pytest.approx(by.max() / by.sum(), rel=1e-12)
    assert r["hhi"] == pytest.approx(float(((by / by.sum()) ** 2).sum()), rel=1e-12)
    assert d["meta"]["inputs"] == [str(path)] and d["meta"]["years"] == [2024]


def test_real_wgi_file_on_the_cli(monkeypatch, capsys, realdata):
    w = realdata / "wgi" / "2020_Worldwide_Governance_Indicators_1996-2019.csv"
    if not w.exists():
        pytest.skip("WGI file absent")
    code, out, _ = run(monkeypatch, capsys, "analyze", "--importer", "KOR", "--material", "gallium", "--wgi", str(w),
                       "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["meta"]["wgi"]["layout"] == "wgi-long" and d["meta"]["wgi"]["years"][-1] == 2019
    r = d["rows"][0]
    assert 0 < r["hhi_wgi"] < r["hhi"] and r["wgi_coverage"] == pytest.approx(1.0)


@pytest.mark.parametrize("width,inline", [(200, True), (80, False)])
def test_table_layout_follows_the_console_width(width, inline):
    from rich.console import Console

    from scrisk.report.analyze import render_analysis

    d = analyze(load_flows(), importers="KOR", top=3).to_dict()
    console = Console(width=width, record=True, no_color=True)
    console.print(render_analysis(d, "table"))
    text = console.export_text()
    assert ("Why" in text.splitlines()[2]) is inline
    assert all(len(line) <= width for line in text.splitlines())
    flat = " ".join(text.split())
    for r in d["rows"]:  # every reason is shown, inside the table (wrapped) or listed under it
        if inline:
            assert " ".join(r["why"].split()[:3]) in flat
        else:
            assert f"{r['rank']}. {r['importer']} {r['hs']} {r['material']}: {r['why']}" in flat


WARM_START = """
import sys
from scrisk.cli import app
from scrisk.cli.boundary import main_with_boundary
try:
    main_with_boundary(app, ["analyze", "--importer", "KOR"])
finally:
    print("LOADED", ",".join(m for m in ("pandas", "numpy", "pyarrow") if m in sys.modules), file=sys.stderr)
"""


def test_analyze_of_the_bundled_example_from_a_warm_cache_imports_no_pandas(tmp_path):
    """The start-up path: the second run reads the example's rows from the cache, ranks them in the engine and
    renders the table without importing pandas (nor numpy or pyarrow)."""
    env = {**os.environ, "SCRISK_CACHE_DIR": str(tmp_path / "cache")}
    first, second = (subprocess.run([sys.executable, "-c", WARM_START], env=env, capture_output=True, text=True)
                     for _ in range(2))
    assert first.returncode == second.returncode == 0, second.stderr
    assert "LOADED pandas" in first.stderr  # the first run parses the CSV with the exact reader
    assert "LOADED \n" in second.stderr, second.stderr
    assert second.stdout == first.stdout and "Import dependencies, 2024" in second.stdout
    assert [n for n in second.stderr.splitlines() if "LOADED" not in n] == \
        [n for n in first.stderr.splitlines() if "LOADED" not in n]  # the same notes
