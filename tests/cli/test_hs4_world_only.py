"""analyze, shock, check and diff on two small hand-made files: one at the HS4 level, one with only World partners."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cli_helpers import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from io_helpers import API_HEADER, api_row  # noqa: E402


@pytest.fixture
def hs4_file(tmp_path):
    rows = [api_row(842, "M", 156, "7403", 80e6, 1, year=2024), api_row(842, "M", 36, "7403", 20e6, 1, year=2024),
            api_row(156, "M", 842, "7402", 3e6, 1, year=2024), api_row(842, "M", 156, "7403", 40e6, 1, year=2023),
            api_row(842, "M", 0, "7403", 150e6, 1, year=2024)]
    p = tmp_path / "copper.csv"
    p.write_text(API_HEADER + "\n" + "\n".join(rows) + "\n")
    return p


@pytest.fixture
def world_file(tmp_path):
    rows = [api_row(r, f, 0, "848620", v, 1, year=y) for y, r, f, v in [
        (2024, 392, "X", 70e6), (2024, 528, "X", 30e6), (2024, 842, "M", 40e6), (2024, 410, "M", 60e6),
        (2023, 392, "X", 50e6), (2023, 842, "X", 50e6), (2023, 842, "M", 10e6)]]
    p = tmp_path / "sme.csv"
    p.write_text(API_HEADER + "\n" + "\n".join(rows) + "\n")
    return p


def _json(monkeypatch, capsys, *args):
    code, out, err = run(monkeypatch, capsys, *args, "-f", "json")
    return code, json.loads(out), err


def test_hs4_file_through_every_command(hs4_file, tmp_path, monkeypatch, capsys):
    code, r, err = _json(monkeypatch, capsys, "analyze", str(hs4_file), "--material", "copper", "--min-import-usd", "0")
    assert code == 0 and r["meta"]["hs_headings"] == ["7402", "7403"]
    rows = {(x["importer"], x["hs"]): x for x in r["rows"]}
    assert set(rows) == {("USA", "7403"), ("CHN", "7402")}  # the basket's 740311 and 740200 select the headings
    usa = rows[("USA", "7403")]
    assert (usa["top_supplier"], usa["top_share"], usa["material"]) == ("CHN", 0.8, "copper")
    assert usa["hhi"] == pytest.approx(0.68) and usa["prev_top_share"] == 1.0
    assert "HS4 headings carried as products" in err
    code, r, err = _json(monkeypatch, capsys, "shock", str(hs4_file), "--exporter", "CHN", "--material", "copper",
                         "--mode", "none")
    assert code == 0 and [(x["importer"], x["hs"], x["direct_loss_usd"]) for x in r["rows"] if x["direct_loss_usd"]] == [
        ("USA", "7403", 80e6)]
    policy = tmp_path / "p.toml"
    policy.write_text('[[rule]]\nname = "cu"\nimporter = "USA"\nmaterial = ["copper"]\nmax_top_share = 0.75\n')
    code, r, err = _json(monkeypatch, capsys, "check", str(hs4_file), "--policy", str(policy))
    assert code == 1 and [(b["hs"], b["value"]) for b in r["breaches"]] == [("7403", 0.8)]
    code, r, err = _json(monkeypatch, capsys, "diff", str(hs4_file), str(hs4_file), "--old-year", "2023",
                         "--new-year", "2024")
    assert code == 0
    assert sorted((x["change"], x["hs"], x["supplier"] or "") for x in r["rows"]) == [
        ("appeared", "7402", ""), ("hhi_decrease", "7403", ""), ("resolved_single_source", "7403", ""),
        ("supplier_gained", "7403", "AUS")]


def test_world_only_file_through_every_command(world_file, tmp_path, monkeypatch, capsys):
    code, r, err = _json(monkeypatch, capsys, "analyze", str(world_file), "--min-import-usd", "0")
    assert code == 0 and r["meta"]["world_totals_only"] is True and r["meta"]["analysis_year"] == 2024
    assert "bilateral (importer-side) figures are unavailable" in err
    got = [(x["importer"], x["import_value_usd"], x["world_top_exporter"], x["world_top_exporter_share"],
            x["n_exporters"], x["top_supplier"], x["score"]) for x in r["rows"]]
    assert got == [("KOR", 60e6, "JPN", 0.7, 2, None, None), ("USA", 40e6, "JPN", 0.7, 2, None, None)]
    assert r["rows"][0]["world_export_hhi"] == pytest.approx(0.58) and "world_totals_only" in r["rows"][0]["flags"]
    assert r["rows"][0]["why"] == ("imports US$60M from the World (no supplier detail in the data); top world exporter "
                                   "JPN with 70% of reporters' exports to the World, 2 exporters")
    code, out, err = run(monkeypatch, capsys, "analyze", str(world_file), "--min-import-usd", "0")
    assert code == 0 and "KOR" in out and "–" in out  # the table shows the missing figures as dashes
    code, r, err = _json(monkeypatch, capsys, "shock", str(world_file), "--exporter", "JPN", "--hs", "848620")
    assert code == 0 and r["rows"] == [] and "no flow was shocked" in err
    policy = tmp_path / "p.toml"
    policy.write_text('[[rule]]\nname = "sme"\nimporter = "*"\nhs = ["848620"]\nmax_top_share = 0.9\n'
                      'max_world_top_exporter_share = 0.8\n')
    code, r, err = _json(monkeypatch, capsys, "check", str(world_file), "--policy", str(policy))
    assert code == 0 and r["breaches"] == [] and r["summary"]["evaluated"] == 2
    assert [n["keys"] for n in r["not_evaluable"]] == [["max_top_share"]]
    code, r, err = _json(monkeypatch, capsys, "diff", str(world_file), str(world_file), "--old-year", "2023",
                         "--new-year", "2024")
    assert code == 0
    # 2023: JPN 50 and USA 50 of 100 (HHI 0.5); 2024: JPN 70, NLD 30 (HHI 0.58): up 0.08 > 0.05, same top (JPN wins
    # the 2023 tie as the smaller code)
    assert sorted((x["change"], x["importer"] or "") for x in r["rows"]) == [
        ("appeared", "KOR"), ("world_export_hhi_increase", "")]
    code, out, err = run(monkeypatch, capsys, "diff", str(world_file), str(world_file), "--old-year", "2023",
                         "--new-year", "2024")
    assert code == 0 and "world_export_hhi_increase" in out
