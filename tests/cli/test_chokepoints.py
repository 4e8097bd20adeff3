"""The chokepoints, production and supply-risk commands: contract, formats, exit codes."""

from __future__ import annotations

import json

from cli_helpers import run

TIDY = "country,commodity,stage,year,quantity,unit\nCHN,gallium,refinery,2023,600,t\nJPN,gallium,refinery,2023,10,t\n"


def test_chokepoints_json_contract_equals_library(monkeypatch, capsys):
    from scrisk.app import chokepoints_files

    code, out, _ = run(monkeypatch, capsys, "chokepoints", "--format", "json", "--top", "3")
    assert code == 0
    got = json.loads(out)
    want = chokepoints_files(top=3).to_dict()
    assert [r["hs"] for r in got["rows"]] == [r["hs"] for r in want["rows"]]
    assert {"world_export_hhi", "world_top_exporter", "importers_top_ge_90", "material"} <= set(got["rows"][0])
    assert got["meta"]["analysis_year"] == 2024


def test_chokepoints_with_production_csv_and_table(monkeypatch, capsys, tmp_path):
    p = tmp_path / "prod.csv"
    p.write_text(TIDY)
    code, out, _ = run(monkeypatch, capsys, "chokepoints", "--material", "gallium", "--production", str(p),
                       "--format", "csv")
    assert code == 0
    header, first = out.splitlines()[:2]
    assert "production_hhi" in header and "811292" in first and "CHN" in first
    code, out, _ = run(monkeypatch, capsys, "chokepoints", "--production", str(p))
    assert code == 0 and "Global chokepoints" in out


def test_chokepoints_bad_sort_and_bad_production(monkeypatch, capsys, tmp_path):
    code, _, err = run(monkeypatch, capsys, "chokepoints", "--sort", "production")
    assert code == 2 and "needs --production" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    code, _, err = run(monkeypatch, capsys, "chokepoints", "--production", str(bad))
    assert code == 3 and "not a production file" in err and "Traceback" not in err


def test_production_command(monkeypatch, capsys, tmp_path):
    p = tmp_path / "prod.csv"
    p.write_text(TIDY)
    code, out, _ = run(monkeypatch, capsys, "production", str(p), "--format", "json")
    assert code == 0
    row = json.loads(out)["rows"][0]
    assert (row["material"], row["top_producer"], round(row["top_producer_share"], 4)) == ("gallium", "CHN", 0.9836)
    code, _, err = run(monkeypatch, capsys, "production", str(tmp_path / "missing.csv"))
    assert code == 3 and "not found" in err
    code, _, err = run(monkeypatch, capsys, "production", str(p), "--stage", "smelter")
    assert code == 2 and "mine, refinery" in err


def test_supply_risk_command(monkeypatch, capsys, tmp_path):
    p = tmp_path / "prod.csv"
    p.write_text(TIDY)
    w = tmp_path / "wgi.csv"
    w.write_text("iso3,score\nCHN,6\nJPN,2\n")
    code, out, _ = run(monkeypatch, capsys, "supply-risk", "--production", str(p), "--wgi", str(w),
                       "--material", "gallium", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["rows"][0]["material"] == "gallium" and "SR = " in data["meta"]["formula"]
    code, _, err = run(monkeypatch, capsys, "supply-risk", "--production", str(p), "--wgi", str(w),
                       "--material", "semiconductors")
    assert code == 2 and "no [crm] parameters" in err
