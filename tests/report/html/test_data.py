"""The report's data: the library results it gathers, checked against hand computations."""

from __future__ import annotations

import pandas as pd
import pytest

from scrisk.report.html.data import CHART_PRODUCTS, SUPPLIERS_SHOWN, collect


def test_rows_are_the_analyze_contract(small_table):
    from scrisk.analysis import analyze

    data = collect(small_table, importers="KOR")
    want = analyze(small_table, importers="KOR", screen=True).to_dict()
    strip = lambda d: {k: v for k, v in d["meta"].items() if k != "generated_at"}  # noqa: E731
    assert data.rows == want["rows"] and strip(data.analysis) == strip(want)
    assert {r["importer"] for r in data.rows} == {"KOR"}


def test_supplier_breakdown_names_the_largest_and_sums_the_rest(small_table):
    data = collect(small_table, importers="KOR")
    ga = [s for s in data.suppliers if s["hs"] == "811292"]
    # 2024: CHN 800, JPN 60, USA 40, DEU 30, BEL 20, FRA 10, GBR 5 (x 1.5e5): five named, two summed
    assert [s["supplier"] for s in ga] == ["CHN", "JPN", "USA", "DEU", "BEL", "other (2)"]
    total = (800 + 60 + 40 + 30 + 20 + 10 + 5) * 1.5e5
    assert ga[0]["share"] == pytest.approx(800 * 1.5e5 / total)
    assert ga[-1]["value_usd"] == pytest.approx(15 * 1.5e5)
    assert sum(s["share"] for s in ga) == pytest.approx(1.0)
    assert len([s for s in ga if not s["supplier"].startswith("other")]) == SUPPLIERS_SHOWN


def test_history_has_every_loaded_year(small_table):
    data = collect(small_table, importers="KOR")
    ga = {h["year"]: h for h in data.history if h["hs"] == "283691"}
    assert sorted(ga) == [2022, 2024]
    assert ga[2022]["top_share"] == pytest.approx(3e8 / 4e8)
    assert ga[2024]["top_share"] == pytest.approx(3e8 / 4.5e8)
    assert ga[2024]["top_supplier"] == "CHL"


def test_world_fields_come_from_every_importer(small_table):
    data = collect(small_table, importers="KOR")
    w = {x["hs"]: x for x in data.world}
    # 2024 world exports of 811292: KOR's suppliers plus JPN's (CHN 7.5e7, USA 1e7)
    chn = 800 * 1.5e5 + 5e7 * 1.5
    total = (800 + 60 + 40 + 30 + 20 + 10 + 5) * 1.5e5 + 5e7 * 1.5 + 1e7
    assert w["811292"]["world_top_exporter"] == "CHN"
    assert w["811292"]["world_top_exporter_share"] == pytest.approx(chn / total)
    assert w["811292"]["importers"] == 2
    assert w["283691"]["importers"] == 2
    assert w["811292"]["focus_import_value_usd"] == pytest.approx(965 * 1.5e5)


def test_material_titles_come_from_the_baskets(small_table):
    data = collect(small_table, importers="KOR")
    assert data.materials["lithium"]["title"]
    title = data.materials["lithium"]["title"]
    assert data.material_title("lithium+unlisted") == f"{title} + unlisted"  # unknown names stay as they are
    assert data.material_title(None) == ""


def test_chart_rows_are_the_top_ranked(small_table):
    data = collect(small_table)
    assert data.chart_rows == data.rows[:CHART_PRODUCTS]
    assert data.importers == "every importer"


def test_scenario_result_is_the_shock_contract(small_table):
    from scrisk.scenario import run_scenario
    from scrisk.scenario.spec import Measure, Scenario

    s = Scenario("t", (Measure(("CHN",), hs=("811292",), cut=1.0),))
    data = collect(small_table, importers="KOR", scenario=s)
    want = run_scenario(small_table, s).to_dict()
    assert data.shock["totals"] == want["totals"] and data.shock["rows"] == want["rows"]


def test_world_chokepoints_on_real_data_match_pandas(atlas):
    """BACI 2024: world top exporter and world export HHI per HS code, by hand from the raw CSV."""
    from scrisk.api import load_flows
    from scrisk.io.options import ReadOptions

    raw = pd.read_csv(atlas / "baci_2024.csv", dtype={"i": str, "j": str, "cmd": str}, keep_default_na=False)
    table = load_flows([atlas / "baci_2024.csv"], ReadOptions(years=(2024,)))
    data = collect(table, importers="KOR")
    world = {w["hs"]: w for w in data.world}
    assert len(world) == raw["cmd"].str.zfill(6).nunique() == 30
    raw["i"] = raw["i"].replace({"S19": "TWN"})
    for hs, g in raw[raw["value"] > 0].groupby(raw["cmd"].str.zfill(6)):
        by = g.groupby("i")["value"].sum()
        s = by / by.sum()
        top = sorted(by.index, key=lambda c: (-by[c], c))[0]
        assert world[hs]["world_top_exporter"] == top, hs
        assert world[hs]["world_top_exporter_share"] == pytest.approx(s.max(), rel=1e-12)
        assert world[hs]["world_export_hhi"] == pytest.approx(float((s**2).sum()), rel=1e-12)
        assert world[hs]["importers"] == g["j"].nunique()
    kor = raw[(raw["j"] == "KOR") & (raw["cmd"] == "811292")]
    assert world["811292"]["focus_import_value_usd"] == pytest.approx(kor["value"].sum())
    # the supplier breakdown of Korea's 811292: China 92.4 % (README figure)
    ga = [s for s in data.suppliers if s["hs"] == "811292"]
    assert ga[0]["supplier"] == "CHN" and ga[0]["share"] == pytest.approx(0.924, abs=5e-4)
