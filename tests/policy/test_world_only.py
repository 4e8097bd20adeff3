"""check and diff on data with only reporters' World totals, and on HS4 headings: hand-made, worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.policy.check import evaluate
from scrisk.policy.diff import CHANGES, WORLD_CHANGES, diff_vintages
from scrisk.policy.spec import parse_policy
from scrisk.schema import FlowMeta, FlowTable, make_flow_table


def world_only(rows, year=2022) -> FlowTable:
    w = pd.DataFrame([(year, *r) for r in rows], columns=["year", "reporter", "flow", "hs", "value_usd"])
    w = w.assign(month=pd.array([pd.NA] * len(w), dtype="Int8"), qty_kg=float("nan"), hs_revision="HS2017",
                 file="w.csv", line=range(2, len(w) + 2))
    return FlowTable(meta=FlowMeta(hs_revision="HS2017", world_totals=w, inputs=(f"w{year}.csv",)))


# world export HHI of 848620: (0.7^2 + 0.3^2) = 0.58; of 903082: 1.0 (one exporter)
OLD = [("JPN", "export", "848620", 70.0), ("NLD", "export", "848620", 30.0), ("USA", "import", "848620", 40e6),
       ("KOR", "import", "848620", 60e6), ("DEU", "export", "903082", 9.0), ("KOR", "import", "903082", 2e6)]


def test_check_judges_world_side_keys_and_lists_the_others_as_not_evaluable():
    p = parse_policy('[[rule]]\nname = "sme"\nimporter = "*"\nhs = ["848620", "903082"]\nmax_top_share = 0.5\n'
                     'max_world_export_hhi = 0.6\nmin_import_usd = 1000000\n'
                     '[[rule]]\nname = "kor"\nimporter = "KOR"\nhs = ["848620"]\nmin_suppliers = 3\nseverity = "warning"\n',
                     path="p.toml")
    r = evaluate(p, world_only(OLD))
    # only KOR's 903082 (world export HHI 1.0 > 0.6) breaches; max_top_share is never judged
    assert [(b["rule"], b["importer"], b["hs"], b["threshold_key"]) for b in r.breaches] == [
        ("sme", "KOR", "903082", "max_world_export_hhi")]
    assert r.exit_code == 1 and r.status == "fail" and r.incomplete == []
    assert [(n["rule"], n["keys"]) for n in r.not_evaluable] == [("sme", ["max_top_share"]), ("kor", ["min_suppliers"])]
    rows = {(x["rule"], x["importer"], x["hs"]): x for x in r.rows}
    assert rows[("sme", "USA", "848620")]["status"] == "pass"  # 0.58 <= 0.6, and max_top_share not judged:
    assert rows[("sme", "USA", "848620")]["not_evaluable"] == ["max_top_share"]  # said on the row
    assert rows[("kor", "KOR", "848620")]["status"] == "not_evaluable"  # no key of the rule can be judged
    assert r.summary["not_evaluable"] == 2 and r.summary["evaluated"] == 3
    d = r.to_dict()
    assert d["not_evaluable"][0]["message"].startswith("rule 'sme': max_top_share not evaluable: the checked data has "
                                                       "only World partners")
    assert any("bilateral (importer-side) figures are unavailable" in n for n in r.meta["notes"])
    # a baseline with World totals only: the increase keys cannot be judged either
    p = parse_policy('[[rule]]\nname = "up"\nimporter = "*"\nhs = ["848620"]\nmax_hhi_increase = 0.1\n'
                     'max_world_export_hhi = 0.9\nmin_import_usd = 0\n', path="p.toml")
    flows = make_flow_table(pd.DataFrame({"year": [2022, 2022], "exporter": ["JPN", "NLD"], "importer": ["USA", "USA"],
                                          "hs": ["848620"] * 2, "value_usd": [7.0, 3.0]}))
    r = evaluate(p, flows, baseline=world_only(OLD, year=2021))
    assert [(n["rule"], n["keys"]) for n in r.not_evaluable] == [("up", ["max_hhi_increase"])]
    assert "the baseline has only World partners" in r.not_evaluable[0]["message"] and r.exit_code == 0


def test_diff_of_two_world_only_vintages_compares_the_world_side():
    new = world_only([("JPN", "export", "848620", 40.0), ("NLD", "export", "848620", 60.0),  # top switches, HHI 0.52
                      ("USA", "import", "848620", 50e6), ("CHN", "import", "848620", 5e6),
                      ("DEU", "export", "903082", 5.0), ("USA", "export", "903082", 5.0)], year=2023)  # HHI 1 -> 0.5
    r = diff_vintages(world_only(OLD), new)
    got = sorted((x["change"], x["importer"] or "", x["hs"]) for x in r.rows)
    assert got == sorted([("appeared", "CHN", "848620"), ("vanished", "KOR", "848620"), ("vanished", "KOR", "903082"),
                          ("world_export_hhi_decrease", "", "903082"), ("world_export_hhi_decrease", "", "848620"),
                          ("world_top_exporter_switch", "", "848620")])
    assert [x["change"] for x in r.rows] == sorted((x["change"] for x in r.rows), key=CHANGES.index)
    sw = next(x for x in r.rows if x["change"] == "world_top_exporter_switch")
    assert (sw["old_world_top_exporter"], sw["new_world_top_exporter"]) == ("JPN", "NLD")
    assert sw["old_world_export_hhi"] == pytest.approx(0.58) and sw["new_world_export_hhi"] == pytest.approx(0.52)
    assert sw["detail"] == "top exporter JPN 70.0% in 2022 -> NLD 60.0% in 2023"
    dec = next(x for x in r.rows if x["change"] == "world_export_hhi_decrease" and x["hs"] == "903082")
    assert dec["world_export_hhi_change"] == pytest.approx(-0.5)
    assert dec["detail"].startswith("world export HHI 1.000 in 2022 -> 0.500 in 2023 (-0.500)")
    app = next(x for x in r.rows if x["change"] == "appeared")
    assert app["detail"] == "$5.0M from the World in 2023; no imports in 2022" and app["new_top_supplier"] is None
    s = r.summary
    assert s["pairs_old"] == 3 and s["pairs_new"] == 2 and s["pairs_common"] == 1
    assert all(s[k] == 0 for k in CHANGES if k not in WORLD_CHANGES + ("appeared", "vanished"))
    assert any("not evaluable without bilateral flows" in n for n in r.meta["notes"])


def test_hs4_headings_in_check_and_diff_select_by_the_codes_under_them():
    f = pd.DataFrame({"year": [2023, 2024, 2024], "exporter": ["CHN", "CHN", "JPN"], "importer": ["USA"] * 3,
                      "hs": ["7403", "7403", "7403"], "value_usd": [50e6, 95e6, 5e6]})
    old, new = (make_flow_table(f[f.year == y], meta=FlowMeta(hs_headings=("7403",))) for y in (2023, 2024))
    p = parse_policy('[[rule]]\nname = "cu"\nimporter = "USA"\nmaterial = ["copper"]\nmax_top_share = 0.9\n',
                     path="p.toml")
    r = evaluate(p, new)
    assert [(b["hs"], b["material"]) for b in r.breaches] == [("7403", "copper")] and r.incomplete == []
    r = evaluate(parse_policy('[[rule]]\nname = "cu"\nimporter = "USA"\nhs = ["740311", "740400"]\n'
                              'max_top_share = 0.9\n', path="p.toml"), new)
    assert [b["hs"] for b in r.breaches] == ["7403"]  # 740311 is under the heading the data reports
    assert [i["hs"] for i in r.incomplete] == [["740400"]]  # no heading of the data holds the scrap
    d = diff_vintages(old, new, material="copper")
    # CHN 100 % of $50M in 2023, 95 % of $100M in 2024: single source both years, HHI 1.0 -> 0.905, JPN gained
    assert [(x["change"], x["hs"], x["supplier"]) for x in d.rows] == [("hhi_decrease", "7403", None),
                                                                       ("supplier_gained", "7403", "JPN")]
    assert d.rows[0]["hhi_change"] == pytest.approx(0.95 ** 2 + 0.05 ** 2 - 1.0)
