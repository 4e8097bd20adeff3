"""run_scenario: year choice, measures combined, labels, --by material, downstream exposure, the JSON contract."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from scrisk.errors import UsageError
from scrisk.report.render import to_json
from scrisk.scenario import EngineParams, Measure, Scenario, run_scenario, scenario_from_options
from scrisk.schema import make_flow_table


@pytest.fixture
def tiny(tiny_flows):
    return make_flow_table(tiny_flows)


def test_latest_year_by_default_and_year_option(tiny):
    s = scenario_from_options(exporters="CHN", hs="811292")
    r = run_scenario(tiny, s, mode="none")
    assert r.meta["year"] == 2024
    assert r.rows.set_index("importer").loc["KOR", "direct_loss_usd"] == 500.0
    r22 = run_scenario(tiny, s, mode="none", year=2022)
    assert r22.rows.set_index("importer")["direct_loss_usd"].to_dict() == {"KOR": 900.0, "JPN": 500.0}
    with pytest.raises(UsageError, match="no flows for year 2019"):
        run_scenario(tiny, s, year=2019)


def test_strictest_measure_applies_and_exempt_spares(tiny):
    s = Scenario("two", (
        Measure(("CHN",), hs=("811292",), cut=0.5),
        Measure(("CHN",), hs=("8112",), targets=("JPN",), cut=1.0),
    ))
    r = run_scenario(tiny, s, mode="none", year=2022)
    assert r.rows.set_index("importer")["direct_loss_usd"].to_dict() == {"JPN": 500.0, "KOR": 450.0}
    assert [m["matched_flows"] for m in r.measures] == [2, 1]
    spared = Scenario("ex", (Measure(("CHN",), hs=("811292",), exempt=("JPN",)),))
    r = run_scenario(tiny, spared, mode="none", year=2022)
    assert r.rows.set_index("importer")["direct_loss_usd"].to_dict() == {"JPN": 0.0, "KOR": 900.0}


def test_rows_ranked_by_shortfall_share_then_value(tiny):
    s = scenario_from_options(exporters="CHN,JPN", hs="811292,370790")
    r = run_scenario(tiny, s, mode="none", year=2022)
    keys = list(zip(r.rows["importer"], r.rows["hs"]))
    assert keys == [("KOR", "811292"), ("KOR", "370790"), ("JPN", "811292")]
    assert r.rows["shortfall_share"].tolist() == pytest.approx([0.98, 0.93, 0.5])
    # ties on the share: larger shortfall first, then importer, then hs
    t = make_flow_table(pd.DataFrame({"year": 2024, "exporter": "CHN", "importer": ["BBB", "AAA", "CCC", "CCC"],
                                      "hs": ["811292", "811292", "811292", "811010"],
                                      "value_usd": [50.0, 50.0, 80.0, 80.0]}))
    r = run_scenario(t, scenario_from_options(exporters="CHN", hs="8110,8112"), mode="none")
    assert list(zip(r.rows["importer"], r.rows["hs"])) == [("CCC", "811010"), ("CCC", "811292"), ("AAA", "811292"),
                                                           ("BBB", "811292")]


def test_by_material_aggregates_codes(tiny):
    s = scenario_from_options(exporters="CHN,JPN", materials="gallium,sobejang")
    r = run_scenario(tiny, s, mode="none", year=2022, by="material")
    rows = r.rows.set_index(["importer", "material"])
    assert float(rows.loc[("KOR", "gallium"), "direct_loss_usd"]) == 980.0
    assert float(rows.loc[("KOR", "sobejang"), "direct_loss_usd"]) == 930.0
    assert float(rows.loc[("KOR", "sobejang"), "shortfall_share"]) == pytest.approx(0.93)
    assert rows.loc[("KOR", "sobejang"), "hs"] == "370790"
    assert r.meta["by"] == "material"


def test_material_named_by_the_scenario_labels_a_shared_code(tiny):
    s = scenario_from_options(exporters="CHN", materials="germanium")
    r = run_scenario(tiny, s, mode="none", year=2022)
    assert set(r.rows["material"]) == {"germanium"}


def test_note_when_a_measure_matches_nothing(tiny):
    s = scenario_from_options(exporters="IDN", hs="260400")
    r = run_scenario(tiny, s)
    assert r.rows.empty and r.totals["blocked_usd"] == 0.0
    assert any("matched no flows" in n and "260400" in n for n in r.meta["notes"])


def test_note_on_a_long_list_that_matches_nothing_stays_short(tiny):
    codes = [f"{k:06d}" for k in range(10110, 10110 + 300)]  # 300 codes the file does not hold
    r = run_scenario(tiny, scenario_from_options(exporters="IDN", hs=",".join(codes)))
    note = next(n for n in r.meta["notes"] if "matched no flows" in n)
    assert codes[0] in note and codes[19] in note and codes[20] not in note
    assert "and 280 more" in note and len(note) < 400


def test_note_names_codes_absent_from_the_data(tiny):
    r = run_scenario(tiny, scenario_from_options(exporters="CHN", materials="germanium"), year=2022)
    assert r.totals["blocked_usd"] == 1400.0
    assert any("282560" in n and "no flows" in n for n in r.meta["notes"])


def test_engine_parameters_layered_file_then_call(tiny):
    s = Scenario("x", (Measure(("CHN",), hs=("811292",)),), engine=EngineParams(mode="none", headroom=0.3))
    r = run_scenario(tiny, s)
    assert r.meta["mode"] == "none" and r.meta["parameters"]["headroom"] == 0.3
    r = run_scenario(tiny, s, mode="cascade", headroom=0.0)
    assert r.meta["mode"] == "cascade" and r.meta["parameters"]["headroom"] == 0.0
    with pytest.raises(UsageError, match="headroom"):
        run_scenario(tiny, s, headroom=-1.0)
    with pytest.raises(UsageError, match="--by"):
        run_scenario(tiny, s, by="country")


def test_downstream_exposure_uses_basket_links():
    t = make_flow_table(pd.DataFrame({
        "year": 2024,
        "exporter": ["CHN", "JPN", "KOR", "KOR", "KOR", "JPN"],
        "importer": ["KOR", "KOR", "USA", "VNM", "DEU", "USA"],
        "hs": ["811292", "811292", "381800", "854231", "811292", "381800"],
        "value_usd": [800.0, 200.0, 1000.0, 5000.0, 100.0, 300.0],
    }))
    r = run_scenario(t, scenario_from_options(exporters="CHN", materials="gallium"), mode="none")
    share = 0.8
    down = r.downstream.set_index("downstream_hs")
    assert float(down.loc["381800", "exports_usd"]) == 1000.0
    assert float(down.loc["381800", "at_stake_usd"]) == pytest.approx(1000.0 * share)
    assert int(down.loc["381800", "tier"]) == 1
    assert float(down.loc["854231", "at_stake_usd"]) == pytest.approx(5000.0 * share)
    assert int(down.loc["854231", "tier"]) == 2  # 811292 -> 381800 -> 8542
    assert set(r.downstream["importer"]) == {"KOR"}
    assert any("8541" in n for n in r.meta["notes"])  # linked code absent from the data


def test_json_contract(tiny):
    r = run_scenario(tiny, scenario_from_options(exporters="CHN", hs="811292", cut=0.5))
    d = json.loads(to_json(r.to_dict()))
    assert set(d) >= {"meta", "totals", "rows", "downstream", "suppliers", "measures"}
    for k in ("scrisk_version", "inputs", "years", "hs_revision", "generated_at", "parameters", "scenario", "mode",
              "iterations", "conservation_error"):
        assert k in d["meta"], k
    for k in ("blocked_usd", "substituted_usd", "stock_drawn_usd", "shortfall_usd", "passed_on_usd"):
        assert k in d["totals"], k
    for k in ("importer", "hs", "baseline_usd", "direct_loss_usd", "indirect_loss_usd", "substituted_usd",
              "passed_on_usd", "shortfall_usd", "shortfall_share", "stock_drawn_usd"):
        assert k in d["rows"][0], k
    assert d["meta"]["scenario"]["measures"][0]["cut"] == 0.5
    assert len(r.to_dict(top=1)["rows"]) == 1 and r.to_dict(top=1)["meta"]["rows_total"] == len(r.rows)


# ---------------------------------------------------------------------------
# fsc mode through run_scenario: units, production and reserves files, horizon, filters, ranking


def _fsc_table(with_qty=True):
    # unit value 10 USD/kg on every link; the hand-worked network of tests/scenario/test_fsc.py
    links = [("CHN", "KOR", 60.0), ("CHN", "VNM", 20.0), ("JPN", "KOR", 30.0), ("JPN", "VNM", 30.0), ("KOR", "VNM", 10.0)]
    return make_flow_table(pd.DataFrame({
        "year": 2024, "exporter": [e for e, _, _ in links], "importer": [i for _, i, _ in links], "hs": "811292",
        "value_usd": [10.0 * q for *_, q in links],
        "qty_kg": [q if with_qty or e != "KOR" else float("nan") for e, _, q in links]}))


@pytest.fixture
def fsc_inputs(tmp_path):
    prod = tmp_path / "production.csv"
    prod.write_text("country,hs,year,quantity,unit\nCHN,811292,2024,100,kg\nJPN,811292,2024,0.08,t\n", encoding="utf-8")
    res = tmp_path / "reserves.csv"
    res.write_text("country,hs,quantity\nJPN,811292,40\n", encoding="utf-8")
    return prod, res


def test_fsc_runs_on_quantities_when_flows_and_production_are_in_kg(fsc_inputs):
    prod, res = fsc_inputs
    s = scenario_from_options(exporters="CHN", hs="811292", targets="KOR")
    r = run_scenario(_fsc_table(), s, mode="fsc", production=prod, reserves=res)
    assert r.meta["unit"] == "kg" and r.meta["basis"].startswith("quantities")
    rows = r.rows.set_index("country")
    assert float(rows.loc["KOR", "shortage"]) == pytest.approx(80 / 3)
    assert float(rows.loc["KOR", "consumption_loss_usd"]) == pytest.approx(800 / 3)
    assert float(rows.loc["KOR", "consumption_loss_share"]) == pytest.approx(1 / 3)
    assert float(rows.loc["CHN", "restricted_kept"]) == 60.0 and float(rows.loc["JPN", "production"]) == 80.0
    assert list(r.rows["country"])[0] == "KOR"  # ranked by value lost
    assert r.totals["restricted_kept"] == 60.0 and r.totals["countries_short"] == 1
    assert r.meta["parameters"]["production"] == str(prod) and r.meta["conservation_error"] <= 1e-9
    sup = r.suppliers.set_index("exporter")
    assert float(sup.loc["CHN", "extra_exports"]) == pytest.approx(100 / 3 - 20)  # A supplies C from what it kept


def test_fsc_on_values_converts_kg_inputs_at_the_unit_value(fsc_inputs):
    prod, res = fsc_inputs
    s = scenario_from_options(exporters="CHN", hs="811292", targets="KOR")
    kg = run_scenario(_fsc_table(), s, mode="fsc", production=prod, reserves=res).rows.set_index("country")
    usd = run_scenario(_fsc_table(with_qty=False), s, mode="fsc", production=prod, reserves=res)
    assert usd.meta["unit"] == "usd" and "not every flow reports a quantity" in usd.meta["basis"]
    rows = usd.rows.set_index("country")
    for col in ("production", "shortage", "reserves_after", "exports_after"):
        assert rows[col].to_dict() == pytest.approx((kg[col] * 10.0).to_dict())
    assert rows["consumption_loss_usd"].to_dict() == pytest.approx(kg["consumption_loss_usd"].to_dict())


def test_fsc_multi_year_carries_reserves_over(fsc_inputs):
    prod, res = fsc_inputs
    s = scenario_from_options(exporters="CHN", hs="811292", targets="KOR")
    r = run_scenario(_fsc_table(), s, mode="fsc", production=prod, reserves=res, horizon=3)
    assert sorted(set(r.rows["step"])) == [1, 2, 3]
    by = {k: g.set_index("country") for k, g in r.rows.groupby("step")}
    for a, b in ((1, 2), (2, 3)):
        assert by[b]["reserves_before"].to_dict() == pytest.approx(by[a]["reserves_after"].to_dict())
    # D drew its 20 accessible in year 1; year 2 starts with 20 (10 accessible): B is shorter
    assert float(by[1].loc["JPN", "reserves_after"]) == pytest.approx(20.0)
    assert float(by[2].loc["KOR", "shortage"]) > float(by[1].loc["KOR", "shortage"])
    assert [x["step"] for x in r.totals["by_step"]] == [1, 2, 3]
    with pytest.raises(UsageError, match="horizon"):
        run_scenario(_fsc_table(), s, mode="cascade", horizon=2)


def test_fsc_production_decline_and_stock_months():
    s = scenario_from_options(exporters=None, hs="811292", declines=["JPN=0.5"])
    r = run_scenario(_fsc_table(), s, mode="fsc", stock_months=0)
    rows = r.rows.set_index("country")
    # no production file: D's production = its net exports 60; it loses 30 and has no reserves
    assert float(rows.loc["JPN", "production"]) == 60.0 and float(rows.loc["JPN", "production_after"]) == 30.0
    assert r.totals["production_lost"] == 30.0
    assert r.totals["consumption_loss"] == pytest.approx(30.0)
    assert any("no reserves" in n for n in r.meta["notes"])
    # stock months: months of production plus imports
    r = run_scenario(_fsc_table(), s, mode="fsc", stock_months=6)
    rows = r.rows.set_index("country")
    assert float(rows.loc["KOR", "reserves_before"]) == pytest.approx(0.5 * 90.0)
    assert float(rows.loc["JPN", "reserves_before"]) == pytest.approx(0.5 * 60.0)


def test_importer_filter_min_import_and_rank(tiny):
    s = scenario_from_options(exporters="CHN", hs="811292")
    r = run_scenario(tiny, s, mode="none", year=2022, importers="JPN")
    assert list(r.rows["importer"]) == ["JPN"] and r.totals["blocked_usd"] == 1400.0  # totals stay global
    r = run_scenario(tiny, s, mode="none", year=2022, min_import_usd=1001.0)
    assert list(r.rows["importer"]) == []
    r = run_scenario(tiny, s, mode="none", year=2022, min_import_usd=1000.0)
    assert list(r.rows["importer"]) == ["KOR", "JPN"]  # both import 1000; KOR loses 900, JPN 500
    t = make_flow_table(pd.DataFrame({"year": 2024, "exporter": "CHN", "importer": ["NGA", "USA", "USA"],
                                      "hs": "811292", "value_usd": [35.0, 5000.0, 0.0]}).assign(
        exporter=["CHN", "CHN", "JPN"], value_usd=[35.0, 5000.0, 15000.0]))
    sv = run_scenario(t, s, mode="none")
    assert list(sv.rows["importer"]) == ["USA", "NGA"]  # USA loses $5,000 (25 %), NGA $35 (100 %)
    ss = run_scenario(t, s, mode="none", rank="share")
    assert list(ss.rows["importer"]) == ["NGA", "USA"]
    with pytest.raises(UsageError, match="--rank"):
        run_scenario(t, s, rank="size")


def test_cascade_uses_production_for_the_pass_through_and_declines_as_cuts(tmp_path):
    # DEU imports 100 from CHN (banned) and exports 150 to FRA; production 200 USD: it keeps half its unmet need
    t = make_flow_table(pd.DataFrame({"year": 2024, "exporter": ["CHN", "DEU"], "importer": ["DEU", "FRA"],
                                      "hs": "811292", "value_usd": [100.0, 150.0]}))
    s = scenario_from_options(exporters="CHN", hs="811292")
    r = run_scenario(t, s, headroom=0.0).rows.set_index("importer")
    assert float(r.loc["DEU", "shortfall_usd"]) == 0.0  # no production data: a net exporter passes everything on
    prod = tmp_path / "p.csv"
    prod.write_text("country,hs,year,quantity,unit\nDEU,811292,2024,200,usd\n", encoding="utf-8")
    r = run_scenario(t, s, headroom=0.0, production=prod).rows.set_index("importer")
    assert float(r.loc["DEU", "shortfall_usd"]) == pytest.approx(50.0)  # p = 150 / (200 + 100)
    assert float(r.loc["FRA", "shortfall_usd"]) == pytest.approx(50.0)
    # a production decline: DEU loses half of 200 -> cut 0.5 * 200 / (200 + 100) of its exports to FRA
    d = scenario_from_options(exporters=None, hs="811292", declines=["DEU=0.5"])
    r = run_scenario(t, d, mode="none", production=prod)
    assert r.rows.set_index("importer").loc["FRA", "direct_loss_usd"] == pytest.approx(150.0 / 3)
    assert any("export cuts" in n for n in r.meta["notes"])


def test_quota_cut_is_one_minus_quota_over_base_exports():
    t = make_flow_table(pd.DataFrame({"year": 2024, "exporter": ["IDN", "IDN", "PHL"], "importer": ["CHN", "JPN", "CHN"],
                                      "hs": "260400", "value_usd": [300.0, 100.0, 50.0],
                                      "qty_kg": [30.0, 10.0, 5.0]}))
    q = Scenario("q", (Measure(("IDN", "PHL"), hs=("260400",), type="quota", quota_usd=100.0),))
    r = run_scenario(t, q, mode="none")
    # IDN: base 400 -> cut 1 - 100/400 = 0.75; PHL: base 50 < quota -> cut 0
    assert r.measures[0]["cut_by_exporter"] == {"IDN": 0.75, "PHL": 0.0}
    assert r.rows.set_index("importer")["direct_loss_usd"].to_dict() == {"CHN": 225.0, "JPN": 75.0}
    qkg = Scenario("q", (Measure(("IDN",), hs=("260400",), type="quota", quota_kg=30.0),))
    assert run_scenario(t, qkg, mode="none").measures[0]["cut_by_exporter"] == {"IDN": 0.25}


def test_fsc_rows_are_per_country_and_hs_only(tiny):
    with pytest.raises(UsageError, match="--by material"):
        run_scenario(tiny, scenario_from_options(exporters="CHN", hs="811292"), mode="fsc", by="material")
