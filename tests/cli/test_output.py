"""cli.output.emit: -o FILE and its extension, streamed formats, the table's first N rows, clean stdout."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli_helpers import run, strip_time
from scrisk.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "example_flows.csv"
DIFF = (str(EXAMPLE), str(EXAMPLE), "--old-year", "2022", "--new-year", "2024")


def run_bytes(monkeypatch, capsysbinary, *args: str) -> tuple[int, bytes, str]:
    """Run the CLI in-process; return (exit code, stdout bytes, stderr text)."""
    monkeypatch.setattr(sys, "argv", ["scrisk", *args])
    with pytest.raises(SystemExit) as ei:
        main()
    out, err = capsysbinary.readouterr()
    return int(ei.value.code or 0), out, err.decode("utf-8")


@pytest.fixture(scope="module")
def analyze_json() -> dict:
    from scrisk.analysis import analyze
    from scrisk.api import load_flows

    return analyze(load_flows(None)).to_dict()


def test_o_csv_takes_the_format_from_the_extension(monkeypatch, capsys, tmp_path):
    target = tmp_path / "deps.csv"
    code, out, err = run(monkeypatch, capsys, "analyze", "-o", str(target))
    assert code == 0 and out == ""
    assert "wrote 152 rows to" in err
    code, stdout_csv, _ = run(monkeypatch, capsys, "analyze", "--format", "csv")
    assert target.read_text(encoding="utf-8") == stdout_csv
    rows = list(csv.DictReader(io.StringIO(stdout_csv)))
    assert len(rows) == 152 and rows[0]["rank"] == "1"


def test_o_json_equals_format_json_and_the_contract(monkeypatch, capsys, tmp_path, analyze_json):
    target = tmp_path / "deps.json"
    assert run(monkeypatch, capsys, "analyze", "-o", str(target))[0] == 0
    code, out, _ = run(monkeypatch, capsys, "analyze", "-f", "json")
    from_file, from_stdout = json.loads(target.read_text()), json.loads(out)
    assert strip_time(from_file) == strip_time(from_stdout) == strip_time(analyze_json)


def test_o_parquet_jsonl_md_xlsx(monkeypatch, capsys, tmp_path, analyze_json):
    pq_path, jl, md, xl = (tmp_path / n for n in ("d.parquet", "d.jsonl", "d.md", "d.xlsx"))
    for p in (pq_path, jl, md, xl):
        assert run(monkeypatch, capsys, "analyze", "-o", str(p))[0] == 0
    tab = pq.read_table(pq_path)
    assert tab.num_rows == 152
    meta = json.loads(tab.schema.metadata[b"scrisk"])
    assert meta["inputs"] == analyze_json["meta"]["inputs"] and meta["hs_revision"] == "HS2017"
    assert [json.loads(line)["hs"] for line in jl.read_text().splitlines()] == \
        [r["hs"] for r in analyze_json["rows"]]
    assert md.read_text().startswith("### Import dependencies")
    from openpyxl import load_workbook

    assert load_workbook(xl).sheetnames == ["dependencies", "provenance"]


def test_format_beats_the_extension(monkeypatch, capsys, tmp_path):
    target = tmp_path / "deps.json"
    assert run(monkeypatch, capsys, "analyze", "-o", str(target), "--format", "csv")[0] == 0
    assert target.read_text().startswith("rank,importer,hs,")


def test_xlsx_needs_o_and_a_command_that_has_it(monkeypatch, capsys, tmp_path):
    code, out, err = run(monkeypatch, capsys, "analyze", "--format", "xlsx")
    assert code == 2 and out == "" and "give -o FILE.xlsx" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(monkeypatch, capsys, "materials", "-o", str(tmp_path / "m.xlsx"))
    assert code == 2 and "xlsx output is available for analyze, shock, check and diff" in err
    assert not (tmp_path / "m.xlsx").exists()


def test_output_over_an_input_is_refused(monkeypatch, capsys, tmp_path):
    data = tmp_path / "flows.csv"
    shutil.copy(EXAMPLE, data)
    before = data.read_bytes()
    for fmt in ("csv", "table", "md"):
        code, out, err = run(monkeypatch, capsys, "analyze", str(data), "-o", str(data), "--format", fmt)
        assert code == 2 and "would overwrite an input file" in err
    code, _, err = run(monkeypatch, capsys, "diff", str(data), str(data), "--old-year", "2022", "--new-year",
                        "2024", "-o", str(data))
    assert code == 2 and "would overwrite an input file" in err
    assert data.read_bytes() == before


def test_table_shows_top_n_and_says_how_many(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "analyze")
    assert code == 0 and "showing 25 of 152 rows; use -o FILE or --format csv for all" in err
    assert "showing" not in out
    code, out, err = run(monkeypatch, capsys, "analyze", "--show", "5")
    assert "showing 5 of 152 rows" in err
    ranks = [line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit() and "." not in line[:4]]
    assert ranks == ["1", "2", "3", "4", "5"]
    code, out, err = run(monkeypatch, capsys, "analyze", "--show", "0")
    assert "showing" not in err


def test_top_still_limits_the_result(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "analyze", "--top", "30")
    assert code == 0 and "showing 25 of" not in err
    assert len([line for line in out.splitlines() if line.startswith("30. ")]) == 1
    code, out, _ = run(monkeypatch, capsys, "analyze", "--top", "30", "-f", "csv")
    assert len(out.splitlines()) == 31


def test_stdout_is_clean_data_for_csv_json_jsonl_and_parquet(monkeypatch, capsysbinary):
    code, out, err = run_bytes(monkeypatch, capsysbinary, "analyze", "-f", "csv")
    assert code == 0 and out.decode().startswith("rank,importer,hs,") and "ranked after the others" in err
    assert len(list(csv.reader(io.StringIO(out.decode())))) == 153
    code, out, _ = run_bytes(monkeypatch, capsysbinary, "analyze", "-f", "json")
    assert len(json.loads(out)["rows"]) == 152
    code, out, _ = run_bytes(monkeypatch, capsysbinary, "analyze", "-f", "jsonl")
    assert len([json.loads(line) for line in out.splitlines()]) == 152
    code, out, _ = run_bytes(monkeypatch, capsysbinary, "analyze", "-f", "parquet")
    assert pq.read_table(io.BytesIO(out)).num_rows == 152


def test_diff_o_json_keeps_the_summary(monkeypatch, capsys, tmp_path):
    target = tmp_path / "changes.json"
    assert run(monkeypatch, capsys, "diff", *DIFF, "-o", str(target))[0] == 0
    code, out, _ = run(monkeypatch, capsys, "diff", *DIFF, "-f", "json")
    assert strip_time(json.loads(target.read_text())) == strip_time(json.loads(out))
    assert list(json.loads(out)) == ["meta", "summary", "rows"]
    csv_path = tmp_path / "changes.csv"
    assert run(monkeypatch, capsys, "diff", *DIFF, "-o", str(csv_path))[0] == 0
    code, out, err = run(monkeypatch, capsys, "diff", *DIFF, "-f", "csv")
    assert csv_path.read_text() == out
    code, out, err = run(monkeypatch, capsys, "diff", *DIFF)
    n = len(json.loads(target.read_text())["rows"])
    assert n > 25 and f"showing 25 of {n:,} rows" in err


def test_shock_o_csv_carries_every_row(monkeypatch, capsys, tmp_path):
    args = ("shock", "--exporter", "CHN", "--material", "gallium,germanium", "--mode", "none")
    target = tmp_path / "shock.csv"
    assert run(monkeypatch, capsys, *args, "-o", str(target))[0] == 0
    code, out, _ = run(monkeypatch, capsys, *args, "-f", "csv")
    assert target.read_text() == out
    code, out, _ = run(monkeypatch, capsys, *args, "-f", "json")
    assert len(target.read_text().splitlines()) == len(json.loads(out)["rows"]) + 1
    xl = tmp_path / "shock.xlsx"
    assert run(monkeypatch, capsys, *args, "-o", str(xl))[0] == 0 and xl.stat().st_size > 0


def test_validate_o_parquet_has_the_outcome_rows(monkeypatch, capsys, tmp_path):
    target = tmp_path / "outcomes.parquet"
    assert run(monkeypatch, capsys, "validate", str(EXAMPLE), "-o", str(target))[0] == 0
    rows = pq.read_table(target).to_pylist()
    code, out, _ = run(monkeypatch, capsys, "validate", str(EXAMPLE), "-f", "json")
    assert rows[0]["reason"] == "(accepted)" and sum(r["rows"] for r in rows) == json.loads(out)["rows_read"]


def test_materials_o_csv(monkeypatch, capsys, tmp_path):
    target = tmp_path / "baskets.csv"
    assert run(monkeypatch, capsys, "materials", "-o", str(target))[0] == 0
    assert target.read_text() == run(monkeypatch, capsys, "materials", "-f", "csv")[1]


def test_check_o_xml_is_junit(monkeypatch, capsys, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[[rule]]\nname = "gallium"\nimporter = ["KOR"]\nmaterial = ["gallium"]\n'
                      'max_top_share = 0.5\n', encoding="utf-8")
    target = tmp_path / "report.xml"
    code, out, err = run(monkeypatch, capsys, "check", str(EXAMPLE), "--policy", str(policy), "-o", str(target))
    assert code in (0, 1) and out == "" and "scrisk check" in err
    assert target.read_text().startswith("<?xml") and "<testsuite" in target.read_text()
    code, out, _ = run(monkeypatch, capsys, "check", str(EXAMPLE), "--policy", str(policy), "-f", "junit")
    assert out.strip() == target.read_text().strip()
    xl = tmp_path / "report.xlsx"
    assert run(monkeypatch, capsys, "check", str(EXAMPLE), "--policy", str(policy), "-o", str(xl))[0] in (0, 1)
    from openpyxl import load_workbook

    assert "breaches" in load_workbook(xl).sheetnames
    code, _, err = run(monkeypatch, capsys, "check", str(EXAMPLE), "--policy", str(policy), "-o",
                       str(tmp_path / "r.csv"))
    assert code == 2 and "does not write csv" in err


def test_a_failed_write_leaves_the_old_file(monkeypatch, capsys, tmp_path):
    target = tmp_path / "deps.csv"
    target.write_text("old\n")
    import scrisk.serialize as ser

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ser, "_duckdb_copy", boom)
    code, out, err = run(monkeypatch, capsys, "analyze", "-o", str(target))
    assert code == 3 and "No space left on device" in err
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["deps.csv"]
