"""evaluate(): thresholds, severities, baselines, completeness, HS levels -- on hand-made and real data."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from policy_helpers import atlas_flows, pair_table, world_hhi
from scrisk.errors import UsageError
from scrisk.policy.check import BREACH_FIELDS, ROW_FIELDS, evaluate
from scrisk.policy.spec import parse_policy
from scrisk.schema import FlowMeta, ReadReport, make_flow_table


def policy(body: str, **top):
    head = "".join(f"{k} = {json.dumps(v)}\n" for k, v in top.items())
    return parse_policy(head + body, path="p.toml")


def rule(name="r", importer='"KOR"', hs='["811292"]', **thresholds) -> str:
    lines = [f'[[rule]]\nname = "{name}"\nimporter = {importer}\n']
    if hs:
        lines.append(f"hs = {hs}\n")
    for k, v in thresholds.items():
        lines.append(f"{k} = {json.dumps(v)}\n")
    return "".join(lines)


@pytest.fixture
def tables(tiny_flows):
    return (make_flow_table(tiny_flows[tiny_flows.year == 2022]), make_flow_table(tiny_flows[tiny_flows.year == 2024]))


def test_threshold_equal_is_within(tables):
    old, _ = tables  # KOR 811292 in 2022: CHN 900 of 1000 = 0.9 exactly
    r = evaluate(policy(rule(max_top_share=0.9)), old)
    assert r.breaches == [] and r.exit_code == 0 and r.status == "pass"
    r = evaluate(policy(rule(max_top_share=0.89)), old)
    assert r.exit_code == 1 and [b["threshold_key"] for b in r.breaches] == ["max_top_share"]
    b = r.breaches[0]
    assert (b["rule"], b["importer"], b["hs"], b["material"], b["top_supplier"]) == ("r", "KOR", "811292", "gallium",
                                                                                      "CHN")
    assert b["value"] == pytest.approx(0.9) and b["threshold"] == 0.89 and set(b) == set(BREACH_FIELDS)


def test_each_threshold(tables):
    old, _ = tables
    # 811292 to KOR in 2022: CHN 900, JPN 80, USA 20 -> HHI .81+.0064+.0004; world: CHN 1400, JPN 80, KOR 500, USA 20
    hhi = 0.9**2 + 0.08**2 + 0.02**2
    w = pd.Series([1400, 80, 500, 20]) / 2000
    world = float((w * w).sum())
    body = (rule("hhi", max_hhi=0.8) + rule("sup", min_suppliers=4) + rule("world", max_world_export_hhi=0.5)
            + rule("ok", max_hhi=0.9, min_suppliers=3, max_world_export_hhi=0.6))
    r = evaluate(policy(body), old)
    got = {b["rule"]: (b["metric"], b["value"]) for b in r.breaches}
    assert set(got) == {"hhi", "sup", "world"}
    assert got["hhi"][1] == pytest.approx(hhi) and got["sup"] == ("n_suppliers", 3.0)
    assert got["world"][1] == pytest.approx(world)
    assert [row["status"] for row in r.rows] == ["fail", "fail", "fail", "pass"]
    assert all(set(row) == set(ROW_FIELDS) for row in r.rows)


def test_warnings_do_not_fail(tables):
    old, _ = tables
    r = evaluate(policy(rule(max_top_share=0.5) + 'severity = "warning"\n'), old)
    assert r.warnings == 1 and r.errors == 0 and r.exit_code == 0 and r.rows[0]["status"] == "warn"
    assert r.summary["breaches"] == 1 and r.summary["status"] == "pass"


def test_min_import_usd_rows_are_not_judged(tables):
    old, _ = tables
    r = evaluate(policy(rule(max_top_share=0.5, min_import_usd=1001)), old)
    assert r.breaches == [] and r.exit_code == 0
    assert r.rows[0]["status"] == "not_judged" and "below min_import_usd" in r.rows[0]["note"]
    assert r.summary["evaluated"] == 0 and r.summary["not_judged"] == 1


def test_baseline_increases(tables):
    old, new = tables
    # 370790 to KOR: 2022 JPN .93 (HHI .93^2+.07^2); 2024 JPN .6, BEL .4 -> share fell, HHI fell
    # 811292 to KOR: 2022 CHN .9; 2024 CHN 500/800 = .625
    body = rule(hs='["811292", "370790"]', max_top_share_increase=0.0, max_hhi_increase=0.0)
    r = evaluate(policy(body), new, baseline=old)
    assert r.breaches == [] and r.meta["baseline"]["year"] == 2022
    r = evaluate(policy(body), old, baseline=new)  # the other way round both rose
    keys = Counter((b["hs"], b["threshold_key"]) for b in r.breaches)
    assert keys == Counter({("370790", "max_hhi_increase"): 1, ("370790", "max_top_share_increase"): 1,
                            ("811292", "max_hhi_increase"): 1, ("811292", "max_top_share_increase"): 1})
    b = next(b for b in r.breaches if b["hs"] == "811292" and b["threshold_key"] == "max_top_share_increase")
    assert b["value"] == pytest.approx(0.9 - 0.625) and b["baseline_value"] == pytest.approx(0.625)
    assert "rose by 27.5 points" in b["message"] and b["baseline_year"] == 2024


def test_baseline_rule_needs_a_baseline(tables):
    old, _ = tables
    with pytest.raises(UsageError, match="--baseline"):
        evaluate(policy(rule(max_hhi_increase=0.1)), old)


def test_pair_absent_from_baseline_is_noted(tables, tiny_flows):
    old, new = tables
    extra = pd.concat([tiny_flows[tiny_flows.year == 2024],
                       pd.DataFrame({"year": [2024], "exporter": ["CHN"], "importer": ["USA"], "hs": ["811292"],
                                     "value_usd": [5.0]})])
    r = evaluate(policy(rule(importer='"USA"', max_hhi_increase=0.0)), make_flow_table(extra), baseline=old)
    assert r.breaches == [] and "no imports in the baseline year 2022" in r.rows[0]["note"]


def test_absent_watched_product_makes_the_run_incomplete(tables):
    old, _ = tables
    r = evaluate(policy(rule(hs='["811292", "281111"]', max_top_share=0.95)), old)
    assert r.breaches == [] and r.exit_code == 1 and r.status == "incomplete"
    (item,) = r.incomplete
    assert item["kind"] == "absent" and item["importer"] == "KOR" and item["hs"] == ["281111"]
    assert item["message"] == "rule 'r' watches 281111 for KOR but the data has no KOR imports of 281111 in 2022"


def test_presence_of_groups_star_and_materials(tables):
    old, _ = tables
    # JPN imports 811292 (a G7 member does), nobody imports 282560 (germanium oxide) in the data,
    # the germanium basket as a whole (282560, 811292) is present for KOR
    body = (rule("g7", importer='"G7"', max_hhi=1.0) + rule("star", importer='"*"', hs='["282560"]', max_hhi=1.0)
            + rule("mat", hs=None, max_hhi=1.0) + 'material = "germanium"\n'
            + rule("jpn", importer='"JPN"', hs='["370790"]', max_hhi=1.0))
    r = evaluate(policy(body), old)
    msgs = sorted(i["message"] for i in r.incomplete)
    assert msgs == [
        "rule 'jpn' watches 370790 for JPN but the data has no JPN imports of 370790 in 2022",
        "rule 'star' watches 282560 for * but the data has no imports of 282560 in 2022 by any importer",
    ]
    mat_rows = [row for row in r.rows if row["rule"] == "mat"]
    assert [(row["hs"], row["material"]) for row in mat_rows] == [("811292", "germanium")]
    r = evaluate(policy(rule("g7", importer='"G7"', hs='["370790"]', max_hhi=1.0)), make_flow_table(
        pd.DataFrame({"year": [2022], "exporter": ["JPN"], "importer": ["KOR"], "hs": ["370790"], "value_usd": [1.0]})))
    assert r.incomplete[0]["message"] == ("rule 'g7' watches 370790 for G7 but the data has no imports of 370790 "
                                          "in 2022 by any G7 member")


def _with_report(table, reasons: dict[str, int]):
    n = sum(reasons.values())
    rep = ReadReport(rows_read=len(table) + n, rows_accepted=len(table), rows_rejected=n, reasons=Counter(reasons))
    rep.check()
    return make_flow_table(table.frame, meta=FlowMeta(inputs=("new.csv",)), report=rep)


def test_defect_rejections_beyond_max_rejected(tables):
    old, _ = tables
    t = _with_report(old, {"negative value": 2, "aggregate partner": 50, "unknown country code": 1})
    pol = policy(rule(max_top_share=0.95))
    r = evaluate(pol, t)
    assert r.exit_code == 1 and r.status == "incomplete"
    (item,) = r.incomplete
    assert item["kind"] == "rejected" and item["rejected"] == 3
    assert item["reasons"] == {"negative value": 2, "unknown country code": 1}
    assert "3 input rows of the checked data (new.csv) rejected as defects" in item["message"]
    assert evaluate(pol, t, max_rejected=3).exit_code == 0
    assert evaluate(pol, t, max_rejected="2").exit_code == 1
    rows_read = t.report.rows_read  # 3 of 60 rows = 5 %
    assert rows_read == 60
    assert evaluate(pol, t, max_rejected="5%").exit_code == 0
    assert evaluate(pol, t, max_rejected=0.04).exit_code == 1
    assert evaluate(policy(rule(max_top_share=0.95), max_rejected=3), t).exit_code == 0  # policy default
    # structural drops alone never make a run incomplete
    assert evaluate(pol, _with_report(old, {"aggregate partner": 50, "re-export or re-import": 4})).exit_code == 0
    # the baseline's defects count too
    r = evaluate(policy(rule(max_hhi_increase=1.0)), old, baseline=t)
    assert [i["side"] for i in r.incomplete] == ["baseline"]


def test_tariff_lines_are_summed_to_hs6():
    f = pd.DataFrame({"year": [2024] * 4, "exporter": ["CHN", "CHN", "JPN", "USA"], "importer": ["KOR"] * 4,
                      "hs": ["8112921010", "8112921090", "8112929000", "8112921010"],
                      "value_usd": [50.0, 40.0, 5.0, 5.0]})
    t = make_flow_table(f)
    r = evaluate(policy(rule(max_top_share=0.85)), t)
    (row,) = r.rows
    assert row["hs"] == "811292" and row["top_share"] == pytest.approx(0.9) and row["n_suppliers"] == 3
    r = evaluate(policy(rule(hs='["81129210"]', max_top_share=0.85), hs_digits=8), t)
    (row,) = r.rows
    assert row["hs"] == "81129210" and row["top_share"] == pytest.approx(90 / 95)


def test_year_selection(tiny_flows):
    both = make_flow_table(tiny_flows)
    r = evaluate(policy(rule(max_top_share=0.95)), both)
    assert r.meta["year"] == 2024 and "checked the latest, 2024" in r.meta["notes"][0]
    assert evaluate(policy(rule(max_top_share=0.95)), both, year=2022).rows[0]["top_share"] == pytest.approx(0.9)
    with pytest.raises(UsageError, match="year 2023 is not in the checked data"):
        evaluate(policy(rule(max_top_share=0.95)), both, year=2023)


def test_result_is_json_with_the_contract(tables):
    old, _ = tables
    d = evaluate(policy(rule(max_top_share=0.5)), old).to_dict()
    json.dumps(d, allow_nan=False)
    assert list(d) == ["meta", "summary", "breaches", "incomplete", "rows"]
    assert set(d["summary"]) >= {"rules", "evaluated", "breaches", "errors", "warnings", "incomplete"}
    assert d["meta"]["policy"]["lines"] == {"r": 1} and d["meta"]["year"] == 2022


# ---------------------------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def atlas_tables(atlas):
    from scrisk.io import read_flows
    from scrisk.io.options import ReadOptions

    cols = {"exporter": "i", "importer": "j", "hs": "cmd", "value": "value"}
    return {y: read_flows([atlas / f"baci_{y}.csv"], ReadOptions(columns=cols, years=(y,), value_unit="usd"))
            for y in (2022, 2024)}


def test_real_kor_gallium_breach(atlas, atlas_tables):
    ref = pair_table(atlas_flows(atlas, 2024)).loc[("KOR", "811292")]
    assert ref["top_share"] > 0.9  # the data breaches a 90 % limit
    r = evaluate(policy(rule(max_top_share=0.9)), atlas_tables[2024])
    (b,) = r.breaches
    assert b["value"] == pytest.approx(ref["top_share"], rel=1e-12) and b["top_supplier"] == ref["top_supplier"]
    assert b["import_value_usd"] == pytest.approx(ref["value"])
    assert f"{ref['top_supplier']} supplies {ref['top_share'] * 100:.1f}%" in b["message"]


def test_real_every_importer_matches_pandas(atlas, atlas_tables):
    df = atlas_flows(atlas, 2024)
    ref = pair_table(df)
    ref = ref[ref.index.get_level_values("hs").isin(["811292", "850511", "283691"])]
    judged = ref[ref["value"] >= 1e6]
    body = rule(importer='"*"', hs='["811292", "850511", "283691"]', max_top_share=0.9, max_hhi=0.6,
                max_world_export_hhi=0.5, min_import_usd=1e6)
    r = evaluate(policy(body), atlas_tables[2024])
    got = Counter(b["threshold_key"] for b in r.breaches)
    w = world_hhi(df)
    expected_world = sum(1 for (_, hs) in judged.index if w[hs] > 0.5)
    assert got["max_top_share"] == int((judged["top_share"] > 0.9).sum()) > 5
    assert got["max_hhi"] == int((judged["hhi"] > 0.6).sum())
    assert got["max_world_export_hhi"] == expected_world
    assert r.summary["evaluated"] == len(judged) and r.summary["not_judged"] == len(ref) - len(judged)
    fails = {(b["importer"], b["hs"]) for b in r.breaches}
    assert fails == set(judged.index[(judged["top_share"] > 0.9) | (judged["hhi"] > 0.6)
                                     | judged.index.get_level_values("hs").map(lambda h: w[h] > 0.5)])


def test_real_baseline_increase_matches_pandas(atlas, atlas_tables):
    old, new = pair_table(atlas_flows(atlas, 2022)), pair_table(atlas_flows(atlas, 2024))
    both = new.join(old.add_suffix("_old"), how="inner")
    hs = both.index.get_level_values("hs")
    both = both[both.index.get_level_values("importer").isin(["KOR", "JPN", "USA", "DEU"])
                & (hs.str.startswith(("8112", "2504", "8505", "2836")))]
    rise = both["top_share"] - both["top_share_old"]
    body = rule(importer='["KOR", "JPN", "USA", "DEU"]', hs='["8112", "2504", "8505", "2836"]',
                max_top_share_increase=0.1)
    r = evaluate(policy(body), atlas_tables[2024], baseline=atlas_tables[2022])
    got = {(b["importer"], b["hs"]): b["value"] for b in r.breaches}
    want = rise[rise > 0.1]
    assert set(got) == set(want.index) and len(got) > 0
    for k, v in want.items():
        assert got[k] == pytest.approx(v)


# ---------------------------------------------------------------- thresholds derived from the declarations


def test_derived_thresholds_on_a_hand_made_pair(tables):
    old, _ = tables  # 811292 to KOR in 2022: CHN .9, JPN .08, USA .02; world: CHN 1400, JPN 80, KOR 500, USA 20
    hhi = 0.9**2 + 0.08**2 + 0.02**2
    body = (rule("eff", min_effective_suppliers=1.5) + rule("tsw", max_top_supplier_world_share=0.6)
            + rule("ok", min_effective_suppliers=1.2, max_top_supplier_world_share=0.8))
    r = evaluate(policy(body), old)
    got = {b["rule"]: b for b in r.breaches}
    assert set(got) == {"eff", "tsw"}
    assert got["eff"]["metric"] == "effective_suppliers" and got["eff"]["value"] == pytest.approx(1 / hhi)
    assert got["tsw"]["value"] == pytest.approx(1400 / 2000)  # CHN ships 70 % of world exports
    assert "effective suppliers 1.22, below min_effective_suppliers 1.5" in got["eff"]["message"]
    assert "top supplier world share 70.0%, above max_top_supplier_world_share 60%" in got["tsw"]["message"]
    assert [row["status"] for row in r.rows] == ["fail", "fail", "pass"]


def test_real_check_and_analyze_agree(atlas_tables):
    """check measures through the same engine as analyze: the same figures for the same pairs."""
    from scrisk.analysis import analyze

    hs = ["811292", "850511", "283691"]
    body = rule(importer='"*"', hs=json.dumps(hs), max_score=0.6, max_top_share=0.9)
    r = evaluate(policy(body), atlas_tables[2024])
    a = analyze(atlas_tables[2024], hs=hs).to_pandas().set_index(["importer", "hs"])
    assert len(r.rows) == len(a) > 50
    for row in r.rows:
        x = a.loc[(row["importer"], row["hs"])]
        assert (row["import_value_usd"], row["top_share"], row["hhi"], row["world_export_hhi"]) == (
            x["import_value_usd"], x["top_share"], x["hhi"], x["world_export_hhi"])
    scores = {(b["importer"], b["hs"]): b["value"] for b in r.breaches if b["threshold_key"] == "max_score"}
    assert scores and scores == {k: v for k, v in a["score"].items() if v > 0.6}
