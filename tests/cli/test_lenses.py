"""The lens commands (scrisk leverage, complement, partner; analyze --as-bloc): formats, contract, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cli_helpers import run

ATLAS = ["--columns", "exporter=i,importer=j,hs=cmd,value=value", "--value-unit", "usd", "--year", "2024"]


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "flows.csv"
    pd.DataFrame({
        "year": [2024] * 6, "exporter": ["CHN", "JPN", "JPN", "CHN", "KOR", "CHN"],
        "importer": ["KOR", "KOR", "USA", "JPN", "JPN", "USA"], "hs": ["811292"] * 6,
        "value_usd": [90e6, 10e6, 40e6, 30e6, 10e6, 20e6],
    }).to_csv(p, index=False)
    return p


def test_complement_json_contract(monkeypatch, capsys, tiny):
    code, out, _ = run(monkeypatch, capsys, "complement", str(tiny), "--importer", "KOR", "--ally", "JPN",
                       "--rival", "CHN", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["meta"]["lens"] == "complement" and data["meta"]["actors"]["ally"]["code"] == "JPN"
    sides = {r["side"]: r for r in data["rows"]}
    a = sides["ally_covers_importer"]
    assert a["rival_share"] == pytest.approx(0.9) and a["cover_exports_third_usd"] == 40e6
    assert a["cover_share"] == pytest.approx(40 / 90)
    b = sides["importer_covers_ally"]
    assert b["dependent"] == "JPN" and b["rival_share"] == pytest.approx(0.75)


@pytest.mark.parametrize("fmt", ["csv", "md", "table"])
def test_complement_other_formats(monkeypatch, capsys, tiny, fmt):
    code, out, _ = run(monkeypatch, capsys, "complement", str(tiny), "-i", "KOR", "--ally", "JPN", "--rival", "CHN",
                       "--format", fmt)
    assert code == 0 and "811292" in out


def test_leverage_json_has_the_importers_table(monkeypatch, capsys, tiny):
    code, out, _ = run(monkeypatch, capsys, "leverage", str(tiny), "--exporter", "CHN", "--format", "json")
    assert code == 0
    data = json.loads(out)
    row = data["rows"][0]
    assert row["export_value_usd"] == 140e6 and row["importers_absolute"] == ["KOR"]
    assert {r["importer"]: r["exporter_share"] for r in data["importers"]} == pytest.approx(
        {"KOR": 0.9, "JPN": 0.75, "USA": 1 / 3})


def test_leverage_csv_rows(monkeypatch, capsys, tiny):
    code, out, _ = run(monkeypatch, capsys, "leverage", str(tiny), "--exporter", "CHN", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("year,hs,exporter,export_value_usd")


def test_partner_md_has_the_end_use_summary(monkeypatch, capsys, tiny):
    code, out, _ = run(monkeypatch, capsys, "partner", str(tiny), "--importer", "KOR", "--partner", "CHN",
                       "--format", "md")
    assert code == 0 and "By end use" in out and "intermediate" in out


@pytest.mark.parametrize("args, msg", [
    (["complement", "-i", "DEU", "--ally", "EU27", "--rival", "CHN"], "belongs to both"),
    (["complement", "-i", "KOR", "--ally", "XXJ", "--rival", "CHN"], "unknown country"),
    (["leverage", "--exporter", "*"], "every country"),
    (["partner", "-i", "KOR", "-p", "CHN", "--low", "0.8", "--high", "0.5"], "low"),
])
def test_bad_options_exit_2_with_one_line(monkeypatch, capsys, tiny, args, msg):
    code, out, err = run(monkeypatch, capsys, args[0], str(tiny), *args[1:])
    assert code == 2 and msg in err and "Traceback" not in err and out == ""


def test_complement_on_baci_2024_lists_every_kor_dependency(monkeypatch, capsys, atlas):
    code, out, _ = run(monkeypatch, capsys, "complement", str(atlas / "baci_2024.csv"), *ATLAS, "--importer", "KOR",
                       "--ally", "JPN", "--rival", "CHN", "--format", "json")
    assert code == 0
    rows = [r for r in json.loads(out)["rows"] if r["side"] == "ally_covers_importer"]
    d = pd.read_csv(atlas / "baci_2024.csv", dtype={"cmd": str})
    k = d[d.j == "KOR"]
    share = k[k.i == "CHN"].groupby("cmd").value.sum() / k.groupby("cmd").value.sum()
    assert sorted(r["hs"] for r in rows) == sorted(share[share >= 0.5].index)


def test_analyze_as_bloc_gives_one_eu_row_per_product(monkeypatch, capsys, atlas):
    code, out, _ = run(monkeypatch, capsys, "analyze", str(atlas / "baci_2024.csv"), *ATLAS, "--importer", "EU27",
                       "--as-bloc", "EU27", "--format", "json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert {r["importer"] for r in rows} == {"EU27"} and len(rows) == len({r["hs"] for r in rows})
    assert all(r["top_supplier"] != "DEU" for r in rows)  # intra-EU trade is not an import
