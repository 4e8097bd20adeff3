"""scrisk.analysis: year selection, filters, ranking, the JSON contract, and real-data checks."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scrisk.analysis import CONTRACT_COLUMNS, analyze, read_filter
from scrisk.errors import UnknownCountryError, UnknownMaterialError, UsageError
from scrisk.schema import FlowMeta, make_flow_table

sys.path.insert(0, str(Path(__file__).resolve().parent / "metrics"))
from atlas import atlas_table, raw_atlas  # noqa: E402


@pytest.fixture
def tiny(tiny_flows):
    return make_flow_table(tiny_flows, meta=FlowMeta(source_format="tidy", hs_revision="HS2017", inputs=("tiny.csv",)))


def _table(rows, **meta):
    df = pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "value_usd"])
    return make_flow_table(df, meta=FlowMeta(source_format="tidy", hs_revision="HS2017", **meta))


def test_latest_year_with_change_vs_previous(tiny):
    res = analyze(tiny, min_import_usd=0)
    d = res.to_dict()
    assert d["meta"]["analysis_year"] == 2024 and d["meta"]["previous_year"] == 2022
    assert [(r["importer"], r["hs"]) for r in d["rows"]] == [("KOR", "811292"), ("KOR", "370790")]  # 0.569 > 0.552
    ga = next(r for r in d["rows"] if r["hs"] == "811292")
    assert ga["top_supplier"] == "CHN" and ga["top_share"] == 0.625 and ga["n_suppliers"] == 2
    assert ga["prev_top_share"] == 0.9 and ga["years_single_source"] == 1
    for key in ("rank", "n_suppliers", "prev_year", "years_single_source", "n_exporters", "year"):
        assert type(ga[key]) is int, key  # integers stay integers in JSON (2022, not 2022.0)
    assert ga["material"] == "gallium"
    # world side from every importer: CHN ships 500 of 800 of 811292 in 2024
    assert ga["top_supplier_world_share"] == 0.625 and ga["world_top_exporter"] == "CHN"
    pr = next(r for r in d["rows"] if r["hs"] == "370790")
    assert pr["top_supplier"] == "JPN" and pr["top_share"] == 0.6
    assert "93% in 2022" in pr["why"]


def test_contract_fields_and_json(tiny):
    d = analyze(tiny, min_import_usd=0).to_dict()
    for row in d["rows"]:
        assert list(row)[: len(CONTRACT_COLUMNS)] == list(CONTRACT_COLUMNS)
        assert isinstance(row["flags"], list) and isinstance(row["why"], str) and row["why"]
        assert 0 <= row["hhi"] <= 1 and 0 <= row["score"] <= 1
    for key in ("scrisk_version", "inputs", "years", "hs_revision", "generated_at", "parameters"):
        assert key in d["meta"]
    assert d["meta"]["inputs"] == ["tiny.csv"] and d["meta"]["years"] == [2022, 2024]
    assert d["meta"]["parameters"]["sort"] == "score"
    json.dumps(d, allow_nan=False)  # plain JSON: no NaN, numpy or pandas objects


def test_earlier_year_and_missing_year(tiny):
    d = analyze(tiny, year=2022, min_import_usd=0).to_dict()
    assert d["meta"]["analysis_year"] == 2022 and d["meta"]["previous_year"] is None
    assert "delta_hhi" not in d["rows"][0]
    assert {r["importer"] for r in d["rows"]} == {"KOR", "JPN"}
    with pytest.raises(UsageError, match="2023 is not in the data"):
        analyze(tiny, year=2023)


def test_bad_options(tiny):
    with pytest.raises(UnknownMaterialError, match="lithium"):
        analyze(tiny, material="lithum")
    with pytest.raises(UsageError):
        analyze(tiny, sort="alphabet")
    with pytest.raises(UsageError):
        analyze(tiny, hhi_scale=100)
    with pytest.raises(UsageError, match="needs --wgi"):
        analyze(tiny, sort="hhi_wgi")
    with pytest.raises(UsageError):
        analyze(tiny, hs="81129")  # odd number of digits


def test_material_and_hs_filters(tiny):
    d = analyze(tiny, material="germanium", min_import_usd=0).to_dict()
    assert [(r["hs"], r["material"]) for r in d["rows"]] == [("811292", "germanium")]
    d = analyze(tiny, hs="3707", min_import_usd=0).to_dict()
    assert [r["hs"] for r in d["rows"]] == ["370790"]
    assert read_filter("gallium", "3707") == ("3707", "811292")


def test_ranking_tie_breaks_and_minimum_value():
    rows = [
        # four single-supplier pairs with identical scores; values and codes break the ties
        (2024, "CHN", "USA", "811292", 5e7),
        (2024, "CHN", "JPN", "811292", 5e7),
        (2024, "CHN", "KOR", "811292", 9e7),
        (2024, "CHN", "DEU", "811292", 1e6),  # below the minimum: ranked last despite the same score
        (2024, "JPN", "KOR", "370790", 2e7),  # diversified: lower score
        (2024, "USA", "KOR", "370790", 2e7),
    ]
    t = _table(rows)
    order = [(r["importer"], r["hs"]) for r in analyze(t).to_dict()["rows"]]
    assert order == [("KOR", "811292"), ("JPN", "811292"), ("USA", "811292"), ("KOR", "370790"), ("DEU", "811292")]
    by_value = [(r["importer"], r["hs"]) for r in analyze(t, sort="value").to_dict()["rows"]]
    assert by_value[0] == ("KOR", "811292") and by_value[-1] == ("DEU", "811292")
    ranks = [r["rank"] for r in analyze(t).to_dict()["rows"]]
    assert ranks == [1, 2, 3, 4, 5]
    d = analyze(t, top=2).to_dict()
    assert len(d["rows"]) == 2 and d["meta"]["rows_total"] == 5
    assert any("top 2 of 5" in n for n in d["meta"]["notes"])
    assert "below_min_value" in analyze(t).to_dict()["rows"][-1]["flags"]


def test_nan_never_ranks_first():
    rows = [(2024, "XXX", "KOR", "811292", 9e7), (2024, "CHN", "JPN", "811292", 2e7),
            (2024, "JPN", "JPN", "811292", 2e7)]
    t = _table(rows)
    d = analyze(t, wgi={"CHN": 6.0}, sort="hhi_wgi").to_dict()
    assert d["rows"][0]["importer"] == "JPN" and d["rows"][-1]["hhi_wgi"] is None
    assert d["meta"]["wgi"]["suppliers_without_score"][0]["exporter"] == "XXX"
    assert any("without a WGI score" in n for n in d["meta"]["notes"])


def test_hhi_scale_10000(tiny):
    a = analyze(tiny, min_import_usd=0).to_dict()["rows"]
    b = analyze(tiny, min_import_usd=0, hhi_scale=10000).to_dict()["rows"]
    for x, y in zip(a, b):
        assert y["hhi"] == pytest.approx(x["hhi"] * 10000)
        assert y["world_export_hhi"] == pytest.approx(x["world_export_hhi"] * 10000)
        assert y["effective_suppliers"] == x["effective_suppliers"] and y["top_share"] == x["top_share"]


def test_screen_adds_columns_and_flag(tiny):
    d = analyze(tiny, screen=True, min_import_usd=0).to_dict()
    assert all("screen" in r for r in d["rows"])
    assert d["meta"]["screen"]["window_years"] == [2022, 2024]


def test_empty_selection_says_why(tiny):
    d = analyze(tiny, hs="2804").to_dict()
    assert d["rows"] == [] and any("no imports of 2804" in n for n in d["meta"]["notes"])


def test_importer_groups_and_world_side_before_filter(tiny_flows):
    extra = pd.DataFrame([(2024, "CHN", "DEU", "811292", 4000.0, np.nan), (2024, "USA", "FRA", "811292", 100.0, np.nan)],
                         columns=tiny_flows.columns[:6])
    t = make_flow_table(pd.concat([tiny_flows, extra], ignore_index=True))
    d = analyze(t, importers="EU27", min_import_usd=0).to_dict()
    assert {r["importer"] for r in d["rows"]} == {"DEU", "FRA"}
    # world side counts KOR's imports too: CHN ships 500 + 4000 of 4900
    deu = next(r for r in d["rows"] if r["importer"] == "DEU")
    assert deu["top_supplier_world_share"] == pytest.approx(4500 / 4900)
    k = analyze(t, importers="KOR", friendly="G7").to_dict()
    assert all(r["importer"] == "KOR" for r in k["rows"])
    ga = next(r for r in k["rows"] if r["hs"] == "811292")
    assert ga["friendly_share"] == pytest.approx(300 / 800)  # JPN is in G7, CHN is not
    with pytest.raises(UnknownCountryError):
        analyze(t, importers="KORR")


# ----------------------------------------------------------------------------- real data


def test_real_data_gallium_for_korea_by_hand(atlas):
    t = atlas_table(atlas)
    res = analyze(t, importers="KOR", material="gallium", screen=True)
    rows = res.to_dict()["rows"]
    assert [r["hs"] for r in rows] == ["811292"]
    r = rows[0]
    raw = raw_atlas(atlas, 2024)
    by = raw[(raw["j"] == "KOR") & (raw["cmd"] == "811292")].groupby("i")["value"].sum()
    s = by / by.sum()
    world = raw[raw["cmd"] == "811292"].groupby("i")["value"].sum()
    assert r["import_value_usd"] == pytest.approx(by.sum(), rel=1e-12)
    assert r["top_supplier"] == by.idxmax() and r["top_share"] == pytest.approx(s.max(), rel=1e-12)
    assert r["hhi"] == pytest.approx(float((s**2).sum()), rel=1e-12)
    assert r["n_suppliers"] == len(by)
    assert r["world_export_hhi"] == pytest.approx(float(((world / world.sum()) ** 2).sum()), rel=1e-12)
    top_world = world[by.idxmax()] / world.sum()
    assert r["why"].startswith(f"{round(s.max() * 100)}% from {by.idxmax()}, which ships {round(top_world * 100)}% of "
                               f"world exports; {len(by)} suppliers")
    assert r["band"] == ("absolute" if s.max() >= 0.9 else "high" if s.max() >= 0.75 else "monitor")
    assert res.meta["previous_year"] == 2022


def test_real_data_every_pair_ranked(atlas):
    t = atlas_table(atlas)
    res = analyze(t)
    raw = raw_atlas(atlas, 2024)
    assert len(res) == raw[raw["value"] > 0].groupby(["j", "cmd"]).ngroups
    rows = res.rows
    above = rows["import_value_usd"] >= 1e7
    # all rows at/above the minimum come first, each block sorted by score descending
    assert above.iloc[: int(above.sum())].all()
    for block in (rows[above], rows[~above]):
        s = block["score"].to_numpy()
        assert np.all(np.diff(s) <= 1e-15)
    assert not math.isnan(rows["score"].iloc[0])


# ------------------------------------------------------------------ re-runs from kept indicator rows


@pytest.mark.parametrize("options", [
    {},
    {"screen": True, "importers": "KOR"},
    {"sort": "hhi", "top": 7, "hhi_scale": 10000},
    {"friendly": ["USA", "JPN"], "min_import_usd": 1e6},
])
def test_a_rerun_from_kept_rows_equals_a_fresh_run(options, monkeypatch, tmp_path):
    from scrisk import analysis
    from scrisk.app import analyze_files
    from scrisk.engine import ingest
    from scrisk.engine.cache import InputCache

    monkeypatch.setenv("SCRISK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(analysis, "KEEP_INDICATORS_ROWS", 0)  # keep them for the bundled example too
    entries = lambda: InputCache(tmp_path / "cache").info()["entries"]  # noqa: E731
    analyze_files(None, **options)  # the example is read (exact reader, rows in memory: nothing derived kept)
    assert entries() == 1
    kept = analyze_files(None, **options).to_arrow()  # from the cached rows: indicators and ranking kept
    assert entries() == 3
    again = analyze_files(None, **options).to_arrow()  # from the kept rows: nothing new
    assert entries() == 3
    monkeypatch.setattr(ingest, "_cache_enabled", False)
    fresh = analyze_files(None, **options).to_arrow()
    assert again.equals(fresh) and kept.equals(fresh) and fresh.num_rows > 5


def test_kept_rows_are_never_those_of_other_options(monkeypatch, tmp_path):
    from scrisk import analysis
    from scrisk.app import analyze_files
    from scrisk.engine import ingest

    monkeypatch.setenv("SCRISK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(analysis, "KEEP_INDICATORS_ROWS", 0)
    runs = [{"friendly": ["USA"]}, {"friendly": ["CHN"]}, {"friendly": ["USA"], "sort": "top_share"}, {"year": 2022}]
    analyze_files(None)
    kept = [analyze_files(None, **o).to_arrow() for o in runs for _ in range(2)][1::2]
    monkeypatch.setattr(ingest, "_cache_enabled", False)
    for o, k in zip(runs, kept):
        assert k.equals(analyze_files(None, **o).to_arrow()), o
    assert kept[0].column("friendly_share") != kept[1].column("friendly_share")
