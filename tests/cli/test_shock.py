"""`scrisk shock`: exit codes, the JSON contract and parity with the library, formats, scenario files, reader options."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from scrisk.api import load_flows
from scrisk.io.options import ReadOptions
from scrisk.scenario import load_scenario, run_scenario, scenario_from_options
from cli_helpers import run, strip_time

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


@pytest.mark.parametrize(
    "args, words",
    [
        (["shock"], ["--exporter"]),
        (["shock", "--production-decline", "CHN=0.3"], ["--material", "--hs"]),
        (["shock", "--exporter", "CHN", "--material", "galium"], ["'galium'", "gallium"]),
        (["shock", "--exporter", "CHX", "--hs", "811292"], ["'CHX'"]),
        (["shock", "--exporter", "CHN", "--hs", "81129"], ["not an HS code"]),
        (["shock", "--exporter", "CHN", "--hs", "811292", "--cut", "1.5"], ["--cut"]),
        (["shock", "--exporter", "CHN", "--hs", "811292", "--mode", "hoard"], ["--mode"]),
        (["shock", "--exporter", "CHN", "--hs", "811292", "--year", "2019"], ["2019"]),
        (["shock", "--exporter", "CHN", "--hs", "811292", "--allies", "G8"], ["'G8'"]),
        (["shock", "--scenario", str(EXAMPLES / "japan_korea_2019.toml"), "--exporter", "CHN"], ["--scenario"]),
    ],
)
def test_usage_errors_exit_2(monkeypatch, capsys, args, words):
    code, out, err = run(monkeypatch, capsys, *args)
    assert code == 2, err
    assert out == ""
    for w in words:
        assert w in err
    assert "Traceback" not in err


def test_bad_scenario_file_exits_3_naming_key_and_line(monkeypatch, capsys, tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('name = "x"\n\n[[measure]]\nexporters = ["CHN"]\nhs = ["811292"]\nlicence_rate = 0.5\n',
                 encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "shock", "--scenario", str(p))
    assert code == 3
    assert f"{p}:6:" in err and "'licence_rate'" in err
    code, _, err = run(monkeypatch, capsys, "shock", "--scenario", str(tmp_path / "missing.toml"))
    assert code == 3 and "not found" in err


def test_json_equals_the_library_result(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "shock", "--exporter", "CHN", "--material", "gallium", "--cut", "0.5",
                         "--headroom", "0.2", "--stock-months", "1", "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    spec = scenario_from_options(exporters="CHN", materials="gallium", cut=0.5)
    table = load_flows(None, ReadOptions(hs=spec.read_codes(downstream=True)))
    lib = run_scenario(table, spec, headroom=0.2, stock_months=1.0).to_dict()
    assert strip_time(got) == strip_time(lib)
    assert got["meta"]["mode"] == "cascade" and got["meta"]["conservation_error"] <= 1e-9
    assert got["meta"]["iterations"] >= 1
    t = got["totals"]
    assert t["shortfall_usd"] + t["substituted_usd"] + t["stock_drawn_usd"] == pytest.approx(t["blocked_usd"])


def test_none_mode_and_targets(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "shock", "-e", "CHN", "--hs", "811292", "--targets", "KOR,JPN",
                       "--mode", "none", "-f", "json")
    assert code == 0
    d = json.loads(out)
    flows = load_flows().frame
    f = flows[(flows.year == 2024) & (flows.exporter == "CHN") & (flows.hs == "811292") & flows.importer.isin(["KOR", "JPN"])]
    hit = {r["importer"]: r["direct_loss_usd"] for r in d["rows"] if r["direct_loss_usd"] > 0}
    assert hit == pytest.approx(f.groupby("importer")["value_usd"].sum().to_dict())
    assert all(r["shortfall_usd"] == r["direct_loss_usd"] for r in d["rows"])
    assert d["meta"]["iterations"] == 0


def test_by_material(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "shock", "-e", "CHN,JPN", "-m", "gallium", "-m", "sobejang",
                       "--by", "material", "-f", "json")
    assert code == 0
    d = json.loads(out)
    assert d["meta"]["by"] == "material"
    keys = {(r["importer"], r["material"]) for r in d["rows"]}
    assert ("KOR", "sobejang") in keys and ("KOR", "gallium") in keys
    assert len(keys) == len(d["rows"])
    kor = next(r for r in d["rows"] if (r["importer"], r["material"]) == ("KOR", "sobejang"))
    assert kor["shortfall_share"] == pytest.approx(kor["shortfall_usd"] / kor["baseline_usd"])


def test_csv_md_table_and_output_file(monkeypatch, capsys, tmp_path):
    base = ["shock", "-e", "CHN", "-m", "gallium"]
    code, out, _ = run(monkeypatch, capsys, *base, "-f", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and list(rows[0])[:3] == ["importer", "hs", "material"]
    code, out, _ = run(monkeypatch, capsys, *base, "-f", "md", "--top", "3")
    assert code == 0 and out.startswith("### Shock:") and "blocked $" in out
    assert out.split("Who filled the gap")[0].count("| 811292 |") == 3
    code, out, err = run(monkeypatch, capsys, *base)
    assert code == 0 and "Shock:" in out and "Shortfall" in out and "conservation error" in out
    assert "downstream" in err  # the bundled example holds no downstream codes: said on stderr
    target = tmp_path / "shock.json"
    code, out, err = run(monkeypatch, capsys, *base, "-f", "json", "-o", str(target))
    assert code == 0 and out == "" and json.loads(target.read_text())["rows"]


def test_example_scenarios_run(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "shock", "--scenario", str(EXAMPLES / "japan_korea_2019.toml"),
                         "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["meta"]["scenario"]["name"] == "japan_korea_2019"
    assert {r["importer"] for r in d["rows"] if r["direct_loss_usd"] > 0} == {"KOR"}
    lib = run_scenario(load_flows(), load_scenario(EXAMPLES / "japan_korea_2019.toml"))
    assert d["totals"]["blocked_usd"] == pytest.approx(lib.totals["blocked_usd"])
    # the bundled example holds no nickel ore: exit 0, an empty result and a note saying why
    code, out, err = run(monkeypatch, capsys, "shock", "--scenario", str(EXAMPLES / "indonesia_nickel_2020.toml"),
                         "-f", "json")
    assert code == 0 and json.loads(out)["rows"] == [] and "260400" in err


def test_engine_options_override_the_scenario_file(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "shock", "--scenario", str(EXAMPLES / "china_gallium_germanium_2023.toml"),
                       "--mode", "none", "-f", "json")
    assert code == 0
    d = json.loads(out)
    assert d["meta"]["mode"] == "none" and d["totals"]["substituted_usd"] == 0


def test_reader_options_apply(monkeypatch, capsys, tmp_path):
    p = tmp_path / "flows.csv"
    pd.DataFrame({"from": ["CHN", "JPN", "KOR"], "to": ["KOR", "KOR", "VNM"], "code": ["811292"] * 3,
                  "kusd": [80.0, 20.0, 50.0]}).to_csv(p, index=False)
    code, out, err = run(monkeypatch, capsys, "shock", str(p), "--columns",
                         "exporter=from,importer=to,hs=code,value=kusd", "--value-unit", "kusd", "--year", "2023",
                         "-e", "CHN", "--hs", "811292", "--mode", "none", "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["totals"]["blocked_usd"] == 80_000.0 and d["meta"]["year"] == 2023


def test_real_baci_file_end_to_end(monkeypatch, capsys, atlas):
    raw = pd.read_csv(atlas / "baci_2024.csv", dtype={"cmd": str}, keep_default_na=False)
    china = raw[(raw["i"] == "CHN") & (raw["cmd"] == "811292")]["value"].sum()
    code, out, err = run(monkeypatch, capsys, "shock", str(atlas / "baci_2024.csv"), "--year", "2024",
                         "-e", "CHN", "--hs", "811292", "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["totals"]["blocked_usd"] == pytest.approx(float(china), rel=1e-12)
    assert d["meta"]["conservation_error"] <= 1e-9


def test_fsc_mode_json_equals_the_library(monkeypatch, capsys, tmp_path):
    prod = tmp_path / "production.csv"
    prod.write_text("country,hs,year,quantity\nCHN,811292,2024,600000\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "shock", "-e", "CHN", "--hs", "811292", "--mode", "fsc",
                         "--production", str(prod), "--stock-months", "3", "--horizon", "2", "-f", "json")
    assert code == 0, err
    got = json.loads(out)
    spec = scenario_from_options(exporters="CHN", hs="811292")
    table = load_flows(None, ReadOptions(hs=spec.read_codes(downstream=True)))
    lib = run_scenario(table, spec, mode="fsc", production=prod, stock_months=3.0, horizon=2).to_dict()
    assert strip_time(got) == strip_time(lib)
    m = got["meta"]
    assert m["mode"] == "fsc" and m["unit"] in ("kg", "usd") and m["basis"] and m["conservation_error"] <= 1e-9
    assert m["parameters"]["production"] == str(prod)
    assert {r["step"] for r in got["rows"]} == {1, 2}
    chn = next(r for r in got["rows"] if r["country"] == "CHN" and r["step"] == 1)
    assert chn["shortage"] == pytest.approx(0.0, abs=1e-6) and chn["restricted_kept"] > 0
    losses = [r["consumption_loss_usd"] for r in got["rows"] if r["step"] == 1]
    assert losses == sorted(losses, reverse=True)  # ranked by value lost


def test_importer_filter_min_import_and_rank_options(monkeypatch, capsys):
    base = ["shock", "-e", "CHN", "--hs", "811292", "--mode", "none", "-f", "json"]
    code, out, _ = run(monkeypatch, capsys, *base, "--importer", "KOR,JPN")
    d = json.loads(out)
    assert code == 0 and {r["importer"] for r in d["rows"]} <= {"KOR", "JPN"} and d["rows"]
    code, out, _ = run(monkeypatch, capsys, *base, "--min-import-usd", "1e15")
    assert code == 0 and json.loads(out)["rows"] == []
    code, out, _ = run(monkeypatch, capsys, *base, "--rank", "share")
    shares = [r["shortfall_share"] for r in json.loads(out)["rows"]]
    assert shares == sorted(shares, reverse=True)
    code, out, err = run(monkeypatch, capsys, *base, "--horizon", "2")
    assert code == 2 and "--mode fsc" in err


def test_bad_production_file_exits_3_with_line(monkeypatch, capsys, tmp_path):
    p = tmp_path / "prod.csv"
    p.write_text("country,hs,quantity\nCHN,811292,10\nCHX,811292,5\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "shock", "-e", "CHN", "--hs", "811292", "--mode", "fsc",
                         "--production", str(p))
    assert code == 3 and f"{p}:3:" in err and "'CHX'" in err and out == ""
    code, _, err = run(monkeypatch, capsys, "shock", "-e", "CHN", "--hs", "811292", "--mode", "fsc",
                       "--production", str(tmp_path / "missing.csv"))
    assert code == 3 and "not found" in err


def test_production_decline_option(monkeypatch, capsys, tmp_path):
    prod = tmp_path / "production.csv"
    prod.write_text("country,hs,year,quantity\nCHN,811292,2024,600000\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "shock", "--hs", "811292", "--production-decline", "CHN=0.5",
                         "--mode", "fsc", "--production", str(prod), "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["totals"]["production_lost"] == pytest.approx(300000.0)
    assert d["meta"]["scenario"]["production_declines"][0]["decline"] == 0.5
    chn = next(r for r in d["rows"] if r["country"] == "CHN")
    assert chn["production_after"] == pytest.approx(300000.0)
    code, _, err = run(monkeypatch, capsys, "shock", "--hs", "811292", "--production-decline", "CHN")
    assert code == 2 and "ISO3=SHARE" in err


def test_quota_and_export_tax_options(monkeypatch, capsys):
    flows = load_flows().frame
    chn = flows[(flows.year == 2024) & (flows.exporter == "CHN") & (flows.hs == "811292")]["value_usd"].sum()
    quota = float(chn) / 4
    code, out, err = run(monkeypatch, capsys, "shock", "-e", "CHN", "--hs", "811292", "--quota-usd", str(quota),
                         "--mode", "none", "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["measures"][0]["type"] == "quota" and d["measures"][0]["cut_by_exporter"]["CHN"] == pytest.approx(0.75)
    assert d["totals"]["blocked_usd"] == pytest.approx(0.75 * float(chn))
    code, out, err = run(monkeypatch, capsys, "shock", "-e", "CHN", "--hs", "811292", "--export-tax", "0.2",
                         "--elasticity", "2", "--elasticity-source", "test value", "--mode", "none", "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["totals"]["blocked_usd"] == pytest.approx((1 - 1.2 ** -2) * float(chn))
    assert d["meta"]["scenario"]["measures"][0]["elasticity_source"] == "test value"
    code, _, err = run(monkeypatch, capsys, "shock", "-e", "CHN", "--hs", "811292", "--export-tax", "0.2")
    assert code == 2 and "--elasticity" in err


def test_exporter_alone_restricts_every_product(monkeypatch, capsys, tmp_path):
    # no --material/--hs: every product of the data, said in meta and on stderr; csv streams every row
    code, out, err = run(monkeypatch, capsys, "shock", "--exporter", "CHN", "--mode", "none", "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["meta"]["products"]["scope"] == "every product" and d["measures"][0]["hs"] == ["*"]
    assert "every product" in d["meta"]["scenario"]["title"] and "every product" in err
    flows = load_flows().frame
    latest = flows[flows["year"] == flows["year"].max()]
    assert d["meta"]["products"]["codes"] == latest["hs"].nunique()
    assert d["totals"]["blocked_usd"] == pytest.approx(latest.loc[latest["exporter"] == "CHN", "value_usd"].sum())
    target = tmp_path / "wide.csv"
    code, _, err = run(monkeypatch, capsys, "shock", "--exporter", "CHN", "-o", str(target))
    assert code == 0, err
    rows = pd.read_csv(target, dtype={"hs": str})
    assert len(rows) == len(latest.groupby(["importer", "hs"])) and list(rows.columns)[:3] == ["importer", "hs",
                                                                                                 "material"]
    assert rows["shortfall_usd"].sum() + rows["substituted_usd"].sum() + rows["stock_drawn_usd"].sum() == \
        pytest.approx(d["totals"]["blocked_usd"], rel=1e-9)
