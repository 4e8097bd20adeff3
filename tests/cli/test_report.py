"""`scrisk report`: the HTML file, its figures against `scrisk analyze --format json`, exit codes, BACI 2024."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cli_helpers import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report" / "html"))
from report_helpers import INJECT_BASKET, INJECT_CODE, parse_page, write_injected  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAX_BYTES = 5_000_000


def test_writes_one_html_file_with_the_analyze_figures(monkeypatch, capsys, tmp_path):
    out = tmp_path / "kor.html"
    code, stdout, err = run(monkeypatch, capsys, "report", "--importer", "KOR", "-o", str(out))
    assert code == 0, err
    assert stdout == "" and f"wrote {out}" in err
    code, js, _ = run(monkeypatch, capsys, "analyze", "--importer", "KOR", "--screen", "--format", "json")
    rows = json.loads(js)["rows"]
    table = parse_page(out.read_text(encoding="utf-8")).tables["ranked-table"]
    header, body = table[0], table[1:]
    assert len(body) == len(rows)
    col = {h: i for i, h in enumerate(header)}
    for cells, r in zip(body, rows):
        assert cells[col["#"]] == str(r["rank"]) and cells[col["HS"]] == r["hs"]
        assert cells[col["Top"]] == r["top_supplier"]
        assert cells[col["Top share"]] == f"{r['top_share'] * 100:.1f}%"
        assert cells[col["HHI"]] == f"{r['hhi']:.3f}"
        assert cells[col["Why"]] == r["why"]


def test_scenario_adds_the_shock_section(monkeypatch, capsys, tmp_path):
    out = tmp_path / "shock.html"
    scenario = EXAMPLES / "scenarios" / "china_gallium_germanium_2023.toml"
    code, _, err = run(monkeypatch, capsys, "report", "--importer", "KOR", "--material", "gallium",
                       "--scenario", str(scenario), "-o", str(out))
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert 'id="chart-waterfall"' in html and "Who filled the gap" in html
    assert "licensing of gallium and germanium items" in html


def test_without_scenario_there_is_no_shock_section(monkeypatch, capsys, tmp_path):
    out = tmp_path / "r.html"
    assert run(monkeypatch, capsys, "report", "-o", str(out))[0] == 0
    assert 'id="shock"' not in out.read_text(encoding="utf-8")


def test_injected_names_are_escaped(monkeypatch, capsys, tmp_path):
    paths = write_injected(tmp_path)
    out = tmp_path / "inj.html"
    code, _, err = run(monkeypatch, capsys, "report", str(paths["flows"]), "--importer", "KOR", "--baskets",
                       str(paths["basket"]), "--scenario", str(paths["scenario"]), "-o", str(out))
    assert code == 0, err
    assert "unknown country code" in err  # the rejected row is noted on stderr
    html = out.read_text(encoding="utf-8")
    for raw in (INJECT_CODE, INJECT_BASKET):
        assert raw not in html
        assert raw in "".join(parse_page(html).text)


@pytest.mark.parametrize("args,code,message", [
    (["report"], 2, "give -o report.html"),
    (["report", "--material", "unobtainium", "-o", "x.html"], 2, "unobtainium"),
    (["report", "--importer", "XXQ", "-o", "x.html"], 2, "XXQ"),
    (["report", "--scenario", "missing.toml", "-o", "x.html"], 3, "missing.toml"),
    (["report", "-o", "no/such/folder/x.html"], 3, "cannot write"),
])
def test_exit_codes(monkeypatch, capsys, tmp_path, args, code, message):
    monkeypatch.chdir(tmp_path)
    got, out, err = run(monkeypatch, capsys, *args)
    assert got == code and message in err and "Traceback" not in err
    assert not (tmp_path / "x.html").exists()


def test_baci_2024_korea_is_small(monkeypatch, capsys, tmp_path, atlas):
    """Acceptance: on BACI 2024 for KOR the report is at most 5 MB (its build time is measured by
    benchmarks/bench_report.py, never asserted in a test)."""
    from scrisk.report.html.assets import vega_bundle

    vega_bundle()
    out = tmp_path / "kor.html"
    scenario = EXAMPLES / "scenarios" / "china_gallium_germanium_2023.toml"
    code, _, err = run(monkeypatch, capsys, "report", str(atlas / "baci_2024.csv"), "--year", "2024",
                       "--importer", "KOR", "--scenario", str(scenario), "-o", str(out))
    assert code == 0, err
    assert out.stat().st_size <= MAX_BYTES
    html = out.read_text(encoding="utf-8")
    assert "92.4%" in html and "30 importer–product pairs" in html
