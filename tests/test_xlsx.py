"""Excel workbooks of analyze, shock, check and diff results hold the same figures as the JSON contract."""

from __future__ import annotations

import json
import math

import pytest
from openpyxl import load_workbook

from scrisk.errors import UsageError
from scrisk.xlsx import SHEETS, is_share_field, write_xlsx

REPO_EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples"


def _expected(value):
    """What a JSON value becomes in a cell (independent of the writer's code path)."""
    if value is None or value == "" or value == [] or (isinstance(value, float) and not math.isfinite(value)):
        return None  # Excel has no empty text: an empty cell
    if isinstance(value, list):
        if all(isinstance(v, (str, int, float)) for v in value):
            return ", ".join(str(v) for v in value)
        return json.loads(json.dumps(value))
    if isinstance(value, dict):
        return json.loads(json.dumps(value))
    return value


def _assert_sheet_matches(ws, records):
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    assert all(c.font.bold for c in ws[1])
    body = list(ws.iter_rows(min_row=2))
    assert len(body) == len(records)
    for rec, cells in zip(records, body):
        for name, cell in zip(header, cells):
            want = _expected(rec.get(name))
            got = cell.value
            if isinstance(want, (dict, list)):
                assert json.loads(got) == want, name
            elif isinstance(want, bool):
                assert got is want, name
            elif isinstance(want, (int, float)):
                assert isinstance(got, (int, float)) and not isinstance(got, bool), (name, got)
                assert got == pytest.approx(want, rel=1e-15, abs=0), name
                if is_share_field(name):
                    assert cell.number_format == "0.0%", name
                elif name.endswith("_usd"):
                    assert cell.number_format == "#,##0", name
            else:
                assert got == want, name


def _check_workbook(path, result, kind):
    wb = load_workbook(path)
    assert wb.sheetnames == [title for _, title in SHEETS[kind]] + ["provenance"]
    for key, title in SHEETS[kind]:
        data = result[key]
        if isinstance(data, dict):
            ws = wb[title]
            got = {r[0].value: r[1].value for r in ws.iter_rows(min_row=2)}
            flat = _flat(data)
            assert set(got) == set(flat)
            for k, v in flat.items():
                want = _expected(v)
                if isinstance(want, (int, float)) and not isinstance(want, bool):
                    assert got[k] == pytest.approx(want, rel=1e-15), k
                else:
                    assert got[k] == want, k
        else:
            _assert_sheet_matches(wb[title], data)
    prov = {r[0].value: r[1].value for r in wb["provenance"].iter_rows(min_row=2)}
    meta = _flat(result["meta"])
    assert set(prov) == set(meta)
    assert prov["scrisk_version"] == result["meta"]["scrisk_version"]
    return wb


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


@pytest.fixture(scope="module")
def atlas_2024(atlas):
    from scrisk.api import load_flows
    from scrisk.io.options import ReadOptions

    return load_flows([atlas / "baci_2024.csv"], ReadOptions(years=(2024,)))


def test_analyze_workbook_on_real_data(atlas_2024, tmp_path):
    from scrisk.analysis import analyze

    result = analyze(atlas_2024, importers="KOR", screen=True).to_dict()
    path = tmp_path / "analyze.xlsx"
    write_xlsx(result, path, kind="analyze")
    wb = _check_workbook(path, result, "analyze")
    ws = wb["dependencies"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[header.index("hs")] == "811292")
    # Korea's gallium/germanium bundle: 92.4 % from China (README figure), stored as a number
    assert row[header.index("top_supplier")] == "CHN"
    assert row[header.index("top_share")] == pytest.approx(0.924, abs=5e-4)
    assert ws.cell(row=2, column=header.index("hhi") + 1).number_format == "0.000"


def test_shock_workbook_on_real_data(atlas_2024, tmp_path):
    from scrisk.scenario import load_scenario, run_scenario

    spec = load_scenario(REPO_EXAMPLES / "scenarios" / "china_gallium_germanium_2023.toml")
    result = run_scenario(atlas_2024, spec).to_dict()
    assert result["suppliers"] and result["rows"]
    path = tmp_path / "shock.xlsx"
    write_xlsx(result, path, kind="shock")
    wb = _check_workbook(path, result, "shock")
    totals = {r[0].value: r[1] for r in wb["totals"].iter_rows(min_row=2)}
    assert totals["blocked_usd"].value == pytest.approx(result["totals"]["blocked_usd"])
    assert totals["shortfall_share_of_blocked"].number_format == "0.0%"
    assert totals["blocked_usd"].number_format == "#,##0"


def test_check_workbook_on_real_data(atlas, tmp_path):
    from scrisk.io.options import ReadOptions
    from scrisk.policy.check import check_files

    policy = REPO_EXAMPLES / "ci" / "korea_watchlist.toml"
    result = check_files([atlas / "baci_2024.csv"], policy=policy, options=ReadOptions(years=(2024,)),
                         baseline=[atlas / "baci_2022.csv"], baseline_options=ReadOptions(years=(2022,))).to_dict()
    assert result["rows"] and result["incomplete"]  # the extract lacks the sobejang codes: absent products
    path = tmp_path / "check.xlsx"
    write_xlsx(result, path, kind="check")
    wb = _check_workbook(path, result, "check")
    if result["breaches"]:
        ws = wb["breaches"]
        header = [c.value for c in ws[1]]
        for cells in ws.iter_rows(min_row=2):
            metric = cells[header.index("metric")].value
            fmt = cells[header.index("value")].number_format
            assert fmt == ("0.0%" if "share" in metric else "0.000" if "hhi" in metric else "General")


def test_diff_workbook_on_real_data(atlas, tmp_path):
    from scrisk.io.options import ReadOptions
    from scrisk.policy.diff import diff_files

    result = diff_files([atlas / "baci_2022.csv"], [atlas / "baci_2024.csv"], options=ReadOptions(),
                        old_year=2022, new_year=2024, importers="KOR").to_dict()
    assert result["summary"]["new_single_source"] == 1
    path = tmp_path / "diff.xlsx"
    write_xlsx(result, path, kind="diff")
    wb = _check_workbook(path, result, "diff")
    summary = {r[0].value: r[1].value for r in wb["summary"].iter_rows(min_row=2)}
    assert summary["new_single_source"] == 1


def test_analyze_workbook_on_the_bundled_example(tmp_path):
    import scrisk

    result = scrisk.analyze(scrisk.load_flows(), importers="KOR").to_dict()
    path = tmp_path / "a.xlsx"
    write_xlsx(result, path, kind="analyze")
    _check_workbook(path, result, "analyze")


def test_unknown_kind_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="kinds: analyze, shock, check, diff"):
        write_xlsx({"meta": {}}, tmp_path / "x.xlsx", kind="graph")


def test_unwritable_path_is_exit_3(tmp_path):
    from scrisk.errors import UnreadableFileError

    with pytest.raises(UnreadableFileError) as ei:
        write_xlsx({"meta": {}, "rows": []}, tmp_path / "missing" / "x.xlsx", kind="analyze")
    assert ei.value.exit_code == 3


def test_empty_tables_and_long_text_cells(tmp_path):
    long = "x" * 40_000
    result = {"meta": {"notes": [long]}, "rows": []}
    path = tmp_path / "e.xlsx"
    write_xlsx(result, path, kind="analyze")
    wb = load_workbook(path)
    assert wb["dependencies"]["A1"].value == "(no rows)"
    note = wb["provenance"]["B2"].value
    assert len(note) == 32_767 and note.endswith("…")
